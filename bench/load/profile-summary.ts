/**
 * Top self-time functions of a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time is the sampled time
 * of each node, grouped by function, file and line. Usable on its own:
 *
 *   node --import tsx bench/load/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

interface CpuProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number, columnNumber: number }
  hitCount?: number
  children?: number[]
}

interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface HotSpot {
  readonly fn: string
  /** file:line (1-based), shortened to the repository or package path */
  readonly where: string
  readonly selfMs: number
  readonly selfPct: number
}

export interface ProfileSummary {
  readonly file: string
  /**
   * The same self time charged to the nearest frame of our own code (services/ or shared/) up the stack: which of
   * our functions the native writes, library calls and GC-free work happen under; without one (a library's own I/O
   * callbacks), the nearest frame of a package in node_modules.
   */
  readonly byProjectFrame?: readonly HotSpot[]
  readonly totalMs: number
  /** Sampled time not idle, not GC, not "(program)": JavaScript and the native work it called. */
  readonly busyMs: number
  readonly idlePct: number
  readonly gcPct: number
  readonly top: readonly HotSpot[]
}

function shortUrl (url: string): string {
  if (url === '') return '(native)'
  const u = url.replace(/^file:\/\//, '')
  const nm = u.lastIndexOf('node_modules/')
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length)
  const repo = u.search(/\/(services|shared|scripts)\//)
  return repo >= 0 ? u.slice(repo + 1) : u
}

export function summarizeProfile (file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const selfUs = new Map<number, number>()
  if (p.samples !== undefined && p.timeDeltas !== undefined) {
    // Attribute each interval to the sample that ends it (as Chrome DevTools does).
    for (let i = 0; i < p.samples.length; i++) {
      const id = p.samples[i] as number
      const dt = p.timeDeltas[i + 1] ?? 0
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt))
    }
  } else {
    const total = p.endTime - p.startTime
    const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0)
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) / Math.max(1, hits)) * total)
  }
  const groups = new Map<string, { fn: string, where: string, us: number }>()
  let totalUs = 0
  let idleUs = 0
  let gcUs = 0
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0
    totalUs += us
    const name = n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName
    if (name === '(idle)') { idleUs += us; continue }
    if (name === '(garbage collector)') gcUs += us
    const where = n.callFrame.url === '' ? '(native)' : `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
    const key = `${name}@${where}`
    const g = groups.get(key) ?? { fn: name, where, us: 0 }
    g.us += us
    groups.set(key, g)
  }
  const busyUs = totalUs - idleUs
  const sorted = [...groups.values()].sort((a, b) => b.us - a.us).slice(0, top)
  // Nearest project frame: walk up from each node until a frame of services/ or shared/.
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const isProject = (n: CpuProfileNode): boolean => /\/(services|shared)\/[^/]+\/(dist|src)\//.test(n.callFrame.url) && !n.callFrame.url.includes('node_modules')
  const projectOf = new Map<number, CpuProfileNode | undefined>()
  const nearest = (id: number): CpuProfileNode | undefined => {
    if (projectOf.has(id)) return projectOf.get(id)
    const n = byId.get(id)
    let r: CpuProfileNode | undefined
    if (n === undefined) r = undefined
    else if (isProject(n)) r = n
    else {
      const up = parent.get(id)
      r = up === undefined ? undefined : nearest(up)
    }
    projectOf.set(id, r)
    return r
  }
  // Without a project frame above (callbacks of a library's own I/O), the nearest package frame says whose.
  const nearestPackage = (id: number): CpuProfileNode | undefined => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)
      if (n !== undefined && n.callFrame.url.includes('node_modules/')) return n
    }
    return undefined
  }
  const frames = new Map<string, { fn: string, where: string, us: number }>()
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0
    const name = n.callFrame.functionName
    if (us === 0 || name === '(idle)' || name === '(garbage collector)' || name === '(program)') continue
    const f = nearest(n.id) ?? nearestPackage(n.id)
    const key = f === undefined ? '(no project or package frame)' : `${f.callFrame.functionName}@${f.callFrame.url}:${f.callFrame.lineNumber}`
    const g = frames.get(key) ?? (f === undefined
      ? { fn: '(no project or package frame)', where: '', us: 0 }
      : { fn: f.callFrame.functionName === '' ? '(anonymous)' : f.callFrame.functionName, where: `${shortUrl(f.callFrame.url)}:${f.callFrame.lineNumber + 1}`, us: 0 })
    g.us += us
    frames.set(key, g)
  }
  const pct = (us: number): number => busyUs > 0 ? (us / busyUs) * 100 : 0
  return {
    file,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    idlePct: totalUs > 0 ? (idleUs / totalUs) * 100 : 0,
    gcPct: pct(gcUs),
    top: sorted.map((g) => ({ fn: g.fn, where: g.where, selfMs: g.us / 1000, selfPct: pct(g.us) })),
    byProjectFrame: [...frames.values()].sort((a, b) => b.us - a.us).slice(0, top).map((g) => ({ fn: g.fn, where: g.where, selfMs: g.us / 1000, selfPct: pct(g.us) })),
  }
}

export function formatSummary (name: string, s: ProfileSummary, top = 15): string {
  const lines = [`${name}: ${s.file}`, `  sampled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (idle ${s.idlePct.toFixed(0)} %), GC ${s.gcPct.toFixed(1)} % of busy; self time, % of busy:`]
  for (const h of s.top.slice(0, top)) lines.push(`  ${h.selfPct.toFixed(1).padStart(5)} %  ${h.fn}  ${h.where}`)
  if (s.byProjectFrame !== undefined) {
    lines.push('  the same time (GC aside) by the nearest frame of services/ or shared/ above it (else of a package):')
    for (const h of s.byProjectFrame.slice(0, Math.min(top, 10))) lines.push(`  ${h.selfPct.toFixed(1).padStart(5)} %  ${h.fn}  ${h.where}`)
  }
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2]
  if (file === undefined) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n')
    process.exit(2)
  }
  const top = Number(process.argv[3] ?? 25)
  process.stdout.write(formatSummary('profile', summarizeProfile(file, top), top) + '\n')
}
