import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

// No import cycle between the edge's modules, type-only imports included: a session must not know the hub that
// runs it, a feed must not know the sessions it feeds.

const SRC = fileURLToPath(new URL('../src', import.meta.url))

/** Every module under `dir` with the relative modules it imports (`import type` and re-exports included). */
async function importGraph (dir: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>()
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f))
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(await readFile(file, 'utf8'), true, false)
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')))
    graph.set(relative(dir, file), targets.map((target) => relative(dir, target)))
  }
  return graph
}

/** The cycles of a graph (one per strongly connected component of more than one node, or a node importing itself). */
function cycles (graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next)
    next++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop() as string
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

test('the cycle finder finds cycles, type-only ones included (the check can fail)', () => {
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']])
  assert.deepEqual(cycles(new Map([['a', ['a']]])), [['a']])
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', []]])), [])
  const { importedFiles } = ts.preProcessFile("import type { X } from './x.js'\nexport { Y } from './y.js'\n", true, false)
  assert.deepEqual(importedFiles.map((f) => f.fileName), ['./x.js', './y.js'])
})

test('no import cycle between the modules of services/edge/src', async () => {
  const graph = await importGraph(SRC)
  assert.ok(graph.size >= 20, `read ${graph.size} modules`)
  assert.ok(graph.get('hub.ts')?.includes(join('session', 'stomp-session.ts')), 'the graph holds the hub → session edge')
  assert.deepEqual(cycles(graph), [])
})
