import { readdir } from 'node:fs/promises'

// The edge's test files in one process on the embedded adapters (`EDGE_STACK=embedded`, see harness.ts): PGlite,
// the in-process bus, memory presence, tokens and limits. One process, so one PGlite serves every stack.
// `npm test` runs this after the run on the real servers.
process.env.EDGE_STACK = 'embedded'
const dir = new URL('.', import.meta.url)
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.test.ts')).sort()) {
  await import(new URL(file, dir).href)
}
