import type { ChaosCase } from '../chaos-case.js'
import { dispatcherKill } from './dispatcher-kill.js'
import { edgeKill } from './edge-kill.js'

/** Every case, in the order. */
export const CASES: readonly ChaosCase[] = [
  dispatcherKill,
  edgeKill,
].sort((a, b) => a.number - b.number)
