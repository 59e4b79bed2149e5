// Prints a saved fault-suite run (test-output/chaos/*.json) as the Markdown tables of the reports in docs/reports/:
// per case its verdict, the checker's counts, every check with its detail, and every figure.
//
//   node --import tsx tests/faults/report.ts test-output/chaos/full-<time>.json
import { readFileSync } from 'node:fs'

interface SavedCase {
  readonly number: number
  readonly name: string
  readonly title: string
  readonly pass: boolean
  readonly seconds: number
  readonly counts?: Readonly<Record<string, number>>
  readonly figures?: Readonly<Record<string, number | string>>
  readonly checks?: ReadonlyArray<{ what: string, ok: boolean, detail?: string }>
  readonly error?: string
}

const file = process.argv[2]
if (file === undefined) throw new Error('usage: report.ts <test-output/chaos/….json>')
const cases = JSON.parse(readFileSync(file, 'utf8')) as SavedCase[]
const cell = (s: string | number): string => String(s).replace(/\|/g, '\\|')
const out: string[] = []

out.push('| # | case | result | time | lost | dup | out of order | gaps | unexpected |', '|---:|---|---|---:|---:|---:|---:|---:|---:|')
for (const c of cases) {
  const k = c.counts
  const n = (key: string): string => k === undefined ? '–' : String(k[key] ?? '–')
  out.push(`| ${c.number} | ${c.name} | ${c.pass ? 'pass' : 'FAIL'} | ${c.seconds.toFixed(0)} s | ${n('lost')} | ${n('duplicated')} | ${n('outOfOrder')} | ${n('gaps')} | ${n('unexpected')} |`)
}
for (const c of cases) {
  out.push('', `### ${c.number}. ${c.title}`, '')
  if (c.error !== undefined) out.push(`Error: \`${c.error.split('\n')[0] ?? ''}\``, '')
  for (const ch of c.checks ?? []) out.push(`- ${ch.ok ? 'ok' : '**FAIL**'}: ${ch.what}${ch.detail === undefined ? '' : ` (${ch.detail})`}`)
  const figures = Object.entries(c.figures ?? {})
  if (figures.length > 0) {
    out.push('', '| figure | value |', '|---|---|')
    for (const [name, value] of figures) out.push(`| ${cell(name)} | ${cell(value)} |`)
  }
}
process.stdout.write(out.join('\n') + '\n')
