// The fault suite (issue #8): `npm run test:chaos` runs every case with the issue's parameters;
// `npm test` runs the bounded subset (`--subset`). Each case is a module under cases/ that deploys its
// own split system, breaks it, and reports the checker's counts (all must be 0), its checks and figures.
//
//   node --import tsx tests/faults/run.ts [--subset] [--list] [case-name ...]
import { mkdir, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { REPO_ROOT } from '@chat/testing'
import type { CaseResult, ChaosCase } from './chaos-case.js'
import { ChaosContext } from './context.js'
import { CASES } from './cases/index.js'

const { values, positionals } = parseArgs({ options: { subset: { type: 'boolean', default: false }, list: { type: 'boolean', default: false } }, allowPositionals: true })
const isCi = process.env.CI === 'true'

if (values.list) {
  for (const c of CASES) process.stdout.write(`${String(c.number).padStart(2)} ${c.name.padEnd(18)} ${c.inSubset ? 'subset' : '      '} ${c.disruptive === true ? 'disruptive' : '          '} ${c.title}\n`)
  process.exit(0)
}

let selected: ChaosCase[] = positionals.length > 0 ? CASES.filter((c) => positionals.includes(c.name)) : [...CASES]
if (values.subset) selected = selected.filter((c) => c.inSubset && (c.disruptive !== true || isCi))
const unknown = positionals.filter((p) => !CASES.some((c) => c.name === p))
if (unknown.length > 0) throw new Error(`unknown case(s): ${unknown.join(', ')}; --list shows them`)

const servers = await ChaosContext.servers()
const results: Array<{ case: ChaosCase, result?: CaseResult, error?: string, ms: number, pass: boolean }> = []
const log = (line: string): void => { process.stdout.write(`    ${line}\n`) }

for (const c of selected) {
  process.stdout.write(`\n#${c.number} ${c.name}: ${c.title}\n`)
  const ctx = new ChaosContext(servers, values.subset, log)
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  try {
    const result = await Promise.race([
      c.run(ctx),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs) }),
    ])
    const counts = result.counts
    const countsOk = counts === undefined || Object.values(counts).every((n) => n === 0)
    const pass = countsOk && result.checks.every((k) => k.ok)
    results.push({ case: c, result, ms: Date.now() - started, pass })
    if (counts !== undefined) log(`counts: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    for (const k of result.checks) log(`${k.ok ? 'ok  ' : 'FAIL'} ${k.what}${k.detail === undefined ? '' : ` (${k.detail})`}`)
    for (const [k, v] of Object.entries(result.figures)) log(`${k}: ${v}`)
  } catch (err) {
    results.push({ case: c, error: (err as Error).stack ?? String(err), ms: Date.now() - started, pass: false })
    log(`FAIL ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
    await ctx.cleanup()
  }
  process.stdout.write(`  ${results[results.length - 1]?.pass === true ? 'PASS' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
}

process.stdout.write('\n| # | case | result | time |\n|---:|---|---|---:|\n')
for (const r of results) process.stdout.write(`| ${r.case.number} | ${r.case.name} | ${r.pass ? 'pass' : 'FAIL'} | ${(r.ms / 1000).toFixed(1)} s |\n`)
const outDir = `${REPO_ROOT}test-output/chaos`
await mkdir(outDir, { recursive: true })
const report = results.map((r) => ({ number: r.case.number, name: r.case.name, title: r.case.title, pass: r.pass, seconds: r.ms / 1000, ...r.result, ...(r.error === undefined ? {} : { error: r.error }) }))
await writeFile(`${outDir}/${values.subset ? 'subset' : 'full'}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, JSON.stringify(report, null, 2))
const failed = results.filter((r) => !r.pass)
process.stdout.write(JSON.stringify({ suite: 'chaos', subset: values.subset, cases: results.length, failed: failed.map((r) => r.case.name) }) + '\n')
process.exit(failed.length === 0 ? 0 : 1)
