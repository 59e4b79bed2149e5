/**
 * What a V8 heap snapshot holds, by constructor: self size and count per object name (strings, arrays, closures
 * and code by their type), largest first. S4 takes one of the process holding the idle connections (`--heap`);
 * divided by the connection count it says which objects a connection costs. Usable on its own:
 *
 *   node --import tsx bench/load/heap-summary.ts <file.heapsnapshot> [top=25] [divide-by=1]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

interface Snapshot {
  snapshot: { meta: { node_fields: string[], node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

export interface HeapGroup {
  readonly name: string
  readonly count: number
  readonly selfBytes: number
}

export interface HeapSummary {
  readonly file: string
  readonly totalBytes: number
  readonly nodeCount: number
  readonly top: readonly HeapGroup[]
}

export function summarizeHeap (file: string, top = 25): HeapSummary {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  const fields = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const width = fields.length
  const iType = fields.indexOf('type')
  const iName = fields.indexOf('name')
  const iSize = fields.indexOf('self_size')
  const groups = new Map<string, { count: number, bytes: number }>()
  let total = 0
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType] as number] ?? '?'
    const size = s.nodes[i + iSize] as number
    total += size
    // Objects by constructor name; everything else (string, array, closure, code, hidden, native…) by type.
    const name = type === 'object' || type === 'native' ? `${s.strings[s.nodes[i + iName] as number] ?? '?'}${type === 'native' ? ' (native)' : ''}` : `(${type})`
    const g = groups.get(name) ?? { count: 0, bytes: 0 }
    g.count++
    g.bytes += size
    groups.set(name, g)
  }
  const sorted = [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)
  return { file, totalBytes: total, nodeCount: s.nodes.length / width, top: sorted.map(([name, g]) => ({ name, count: g.count, selfBytes: g.bytes })) }
}

export function formatHeap (label: string, h: HeapSummary, divideBy = 1, top = 20): string {
  const per = divideBy > 1 ? ` (per connection: / ${divideBy})` : ''
  const lines = [`${label}: ${h.file}`, `  heap ${(h.totalBytes / 1048576).toFixed(1)} MiB in ${h.nodeCount} objects${per}; by constructor, self size:`]
  for (const g of h.top.slice(0, top)) {
    const each = divideBy > 1 ? `  ${(g.selfBytes / divideBy).toFixed(0).padStart(6)} B/conn  ${(g.count / divideBy).toFixed(1).padStart(6)} /conn` : ''
    lines.push(`  ${(g.selfBytes / 1048576).toFixed(2).padStart(8)} MiB  ${String(g.count).padStart(8)}${each}  ${g.name}`)
  }
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2]
  if (file === undefined) {
    process.stderr.write('usage: heap-summary.ts <file.heapsnapshot> [top] [divide-by]\n')
    process.exit(2)
  }
  const top = Number(process.argv[3] ?? 25)
  process.stdout.write(formatHeap('heap', summarizeHeap(file, top), Number(process.argv[4] ?? 1), top) + '\n')
}

export interface HeapDiff {
  readonly before: string
  readonly after: string
  readonly connections: number
  readonly totalDeltaBytes: number
  /** Largest growths: bytes and objects added per connection. */
  readonly top: ReadonlyArray<{ readonly name: string, readonly bytesPerConn: number, readonly objectsPerConn: number }>
}

/** What grew between two snapshots of one process, per connection opened in between. */
export function diffHeaps (before: string, after: string, connections: number, top = 20): HeapDiff {
  const a = summarizeHeap(before, Number.MAX_SAFE_INTEGER)
  const b = summarizeHeap(after, Number.MAX_SAFE_INTEGER)
  const base = new Map(a.top.map((g) => [g.name, g]))
  const n = Math.max(1, connections)
  const grown = b.top.map((g) => {
    const o = base.get(g.name)
    return { name: g.name, bytesPerConn: (g.selfBytes - (o?.selfBytes ?? 0)) / n, objectsPerConn: (g.count - (o?.count ?? 0)) / n }
  }).sort((x, y) => y.bytesPerConn - x.bytesPerConn).slice(0, top)
  return { before, after, connections, totalDeltaBytes: b.totalBytes - a.totalBytes, top: grown }
}

export function formatHeapDiff (label: string, d: HeapDiff): string {
  const lines = [`${label}: heap grew ${(d.totalDeltaBytes / 1048576).toFixed(1)} MiB for ${d.connections} connections = ${(d.totalDeltaBytes / Math.max(1, d.connections) / 1024).toFixed(1)} KiB each; largest growths per connection:`]
  for (const g of d.top) lines.push(`  ${g.bytesPerConn.toFixed(0).padStart(7)} B  ${g.objectsPerConn.toFixed(1).padStart(6)} objects  ${g.name}`)
  lines.push(`  (${d.before} -> ${d.after})`)
  return lines.join('\n')
}
