/** A token bucket: `rate` tokens a second up to `burst`. Time comes from the caller (no timers). */
export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  #tokens: number
  #updatedAt: number

  constructor (rate: number, burst: number, now: number) {
    this.#rate = rate
    this.#burst = burst
    this.#tokens = burst
    this.#updatedAt = now
  }

  /** Takes one token if there is one. */
  take (now: number): boolean {
    const elapsed = now - this.#updatedAt
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000)
      this.#updatedAt = now
    }
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
