/** Refills add up in fractions: ten tenths must make a token although they sum to 0.9999999999999999. */
const EPSILON = 1e-9

/**
 * A token bucket: `ratePerSecond` tokens a second up to `burst`, full when created. Time comes from the caller
 * (no timers), so a bucket costs two numbers and a test moves time by hand.
 */
export class TokenBucket {
  readonly #ratePerMs: number
  readonly #burst: number
  #tokens: number
  #updatedAt: number

  constructor (ratePerSecond: number, burst: number, now: number) {
    assertRate(ratePerSecond, burst)
    this.#ratePerMs = ratePerSecond / 1000
    this.#burst = burst
    this.#tokens = burst
    this.#updatedAt = now
  }

  /** Takes one token if there is one. A clock that moves back adds nothing. */
  take (now: number): boolean {
    this.#refill(now)
    if (this.#tokens < 1 - EPSILON) return false
    this.#tokens = Math.max(0, this.#tokens - 1)
    return true
  }

  /** Tokens available at `now` (fractional). */
  tokens (now: number): number {
    this.#refill(now)
    return this.#tokens
  }

  #refill (now: number): void {
    const elapsed = now - this.#updatedAt
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs)
      this.#updatedAt = now
    }
  }
}

/** Rate and burst as every limiter of this package checks them: a positive rate, a whole burst of at least 1. */
export function assertRate (ratePerSecond: number, burst: number): void {
  if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`)
  }
  if (!Number.isSafeInteger(burst) || burst < 1) throw new RangeError(`burst must be a whole number >= 1, got ${burst}`)
}
