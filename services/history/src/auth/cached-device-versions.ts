import type { DeviceVersions, TokenStore } from '@chat/tokens'
import { TtlCache } from '../ttl-cache.js'

/**
 * The device token version every authenticated request checks, kept in process for `ttlMs` in front of
 * `DeviceVersions` (the token store, then the database), so a busy client does not cost a Redis round trip a request.
 *
 * What can go stale, and for how long: a revocation made by this instance (logout, refresh reuse) is applied here
 * before its answer is sent (`revoked`); one made by another instance arrives within milliseconds through the token
 * store's broadcast (`onRevoke`). Only a broadcast lost on the way (Redis pub/sub delivers at most once, e.g. while
 * the subscriber reconnects) leaves a revoked token accepted here, for at most `ttlMs` after its version was cached.
 * A cached version never goes down, and a token newer than the cached version (a login on another instance after a
 * lost broadcast) is a miss, so a fresh token is never refused because of the cache.
 */
export class CachedDeviceVersions {
  readonly #versions: DeviceVersions
  readonly #cache: TtlCache<number>
  readonly #unsubscribe: () => void

  constructor (deps: { versions: DeviceVersions, tokens: TokenStore, ttlMs: number, now?: () => number }) {
    this.#versions = deps.versions
    this.#cache = new TtlCache({ ttlMs: deps.ttlMs, ...(deps.now === undefined ? {} : { now: deps.now }) })
    this.#unsubscribe = this.#cache.isEnabled ? deps.tokens.onRevoke((deviceId, version) => { this.revoked(deviceId, version) }) : () => {}
  }

  /** The device's current version (undefined: no such device). `tokenVersion`: the `ver` of the token being checked. */
  async current (deviceId: string, tokenVersion: number): Promise<number | undefined> {
    const key = deviceId.toLowerCase()
    const cached = this.#cache.get(key)
    if (cached !== undefined && cached >= tokenVersion) return cached
    const version = await this.#versions.current(deviceId, tokenVersion)
    if (version !== undefined) this.#raise(key, version)
    return version
  }

  /** The device's tokens below `version` are revoked: applied at once, whatever is cached. */
  revoked (deviceId: string, version: number): void {
    this.#raise(deviceId.toLowerCase(), version)
  }

  /** Stops listening to revocations. */
  close (): void {
    this.#unsubscribe()
    this.#cache.clear()
  }

  #raise (key: string, version: number): void {
    // A read that started before a revocation may finish after it: it must not bring the old version back.
    const cached = this.#cache.get(key)
    if (cached === undefined || version > cached) this.#cache.set(key, version)
  }
}
