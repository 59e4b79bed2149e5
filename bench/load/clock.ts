/**
 * One monotonic clock in µs for every thread of the generator: `process.hrtime` is process-wide, while
 * `performance.now()` counts from each thread's own origin. The offset is measured once per thread, so a send
 * time written by one worker and a receive time read by another are on the same clock.
 */
const baseUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000

/** Monotonic time in whole µs (safe integers: µs since boot). */
export function nowUs (): number {
  return Math.round(baseUs + performance.now() * 1000)
}
