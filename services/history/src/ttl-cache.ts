/**
 * A bounded in-process map whose entries live `ttlMs` after they were written: for answers the REST API may reuse
 * across requests for a short time (device token versions, room memberships). The TTL is the longest a stale answer
 * can be served; callers write down what may go stale and what removes it sooner (`delete`).
 *
 * `ttlMs` 0 disables it: `get` always misses and `set` keeps nothing. Past `maxEntries` the entry written longest
 * ago is dropped, so memory stays bounded whatever the number of users. Keys are compared exactly: callers
 * normalise them (UUIDs to lower case).
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { readonly value: V, readonly expiresAt: number }>()
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number

  /**
   * @param opts.ttlMs how long an entry is served after it was written, ms; 0 disables the cache
   * @param opts.maxEntries entries kept at most @default 100_000
   * @param opts.now the clock, epoch ms @default Date.now
   */
  constructor (opts: { ttlMs: number, maxEntries?: number, now?: () => number }) {
    if (!Number.isSafeInteger(opts.ttlMs) || opts.ttlMs < 0) throw new RangeError('ttlMs must be a non-negative integer')
    this.#ttlMs = opts.ttlMs
    this.#maxEntries = opts.maxEntries ?? 100_000
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) throw new RangeError('maxEntries must be a positive integer')
    this.#now = opts.now ?? Date.now
  }

  get isEnabled (): boolean {
    return this.#ttlMs > 0
  }

  get size (): number {
    return this.#entries.size
  }

  /** The value written less than `ttlMs` ago, else undefined (an expired entry is dropped). */
  get (key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (this.#now() < entry.expiresAt) return entry.value
    this.#entries.delete(key)
    return undefined
  }

  /** Writes `value`, served until `ttlMs` from now. */
  set (key: string, value: V): void {
    if (this.#ttlMs === 0) return
    // Re-inserted at the end, so the first key in iteration order is always the one written longest ago.
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs })
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
  }

  delete (key: string): void {
    this.#entries.delete(key)
  }

  clear (): void {
    this.#entries.clear()
  }
}
