import { LRUCache } from 'lru-cache'
import { TokenBucket, assertRate } from './token-bucket.js'
import type { SendLimitOptions, SendLimiter } from './send-limiter.js'

export interface MemorySendLimiterOptions extends SendLimitOptions {
  /**
   * Users whose bucket is kept; past it the least recently active user's bucket is dropped (a dropped bucket
   * starts full again, so memory stays bounded at the cost of a fresh burst for a user idle that long).
   * @default 100_000
   */
  readonly maxUsers?: number
  /** @default Date.now */
  readonly now?: () => number
}

/** A SendLimiter for one process (the embedded mode): a token bucket per user in memory. Always answers synchronously. */
export class MemorySendLimiter implements SendLimiter {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  readonly #buckets: LRUCache<string, TokenBucket>

  constructor (opts: MemorySendLimiterOptions) {
    assertRate(opts.ratePerSecond, opts.burst)
    this.#rate = opts.ratePerSecond
    this.#burst = opts.burst
    this.#now = opts.now ?? Date.now
    this.#buckets = new LRUCache({ max: opts.maxUsers ?? 100_000 })
  }

  take (userId: string): boolean {
    return this.#bucket(userId).take(this.#now())
  }

  async close (): Promise<void> {
    this.#buckets.clear()
  }

  #bucket (userId: string): TokenBucket {
    let bucket = this.#buckets.get(userId)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#rate, this.#burst, this.#now())
      this.#buckets.set(userId, bucket)
    }
    return bucket
  }
}
