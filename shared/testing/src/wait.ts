import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs` with
 * the last error. For conditions that arrive asynchronously; never a fixed sleep.
 */
export async function waitFor<T> (
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' }: { timeoutMs?: number, intervalMs?: number, what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError })
    }
    await sleep(intervalMs)
  }
}

/** A clock tests move by hand. */
export class TestClock {
  #now: number
  constructor (start = 1_700_000_000_000) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  advance (ms: number): void {
    this.#now += ms
  }
}
