import type { LedgerReport } from '@chat/testing'
import type { ChaosContext } from './context.js'

/** One check of a case: what it asserts, whether it held, and a figure or detail to report. */
export interface Check {
  readonly what: string
  readonly ok: boolean
  readonly detail?: string
}

/** The checker's counts (SPEC section 5): every one must be 0. */
export type Counts = Pick<LedgerReport, 'lost' | 'duplicated' | 'outOfOrder' | 'gaps' | 'unexpected'>

export interface CaseResult {
  readonly counts?: Counts
  /** Measured figures for the run reports (times, rates, memory). */
  readonly figures: Readonly<Record<string, number | string>>
  readonly checks: readonly Check[]
}

export interface ChaosCase {
  /** Short id used on the command line, e.g. `dispatcher-kill`. */
  readonly name: string
  /** The number for the case (issue #8) and its one-line title. */
  readonly number: number
  readonly title: string
  /** Runs in `npm test` (with the bounded parameters `ctx.isSubset` asks for). */
  readonly inSubset: boolean
  /** Runs only when CI=true or in `npm run test:chaos` (it disturbs the shared servers). */
  readonly disruptive?: boolean
  /** The case is stopped (and fails) after this long. */
  readonly timeoutMs: number
  run (ctx: ChaosContext): Promise<CaseResult>
}

export function check (what: string, ok: boolean, detail?: string): Check {
  return detail === undefined ? { what, ok } : { what, ok, detail }
}

export function countsOf (r: LedgerReport): Counts {
  return { lost: r.lost, duplicated: r.duplicated, outOfOrder: r.outOfOrder, gaps: r.gaps, unexpected: r.unexpected }
}
