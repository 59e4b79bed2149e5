import { TokenStoreClosedError } from './errors.js'
import { silentLogger, type Logger } from '@chat/redis'
import type { RevocationHandler, TokenStore } from './token-store.js'
import { assertDeviceId, assertVersion } from './validate.js'

export interface MemoryTokenStoreOptions {
  /** Receives errors thrown by revocation handlers. @default a logger that drops them */
  log?: Logger
}

/**
 * The embedded token store: versions in a Map and revocations delivered to the handlers of this instance
 * only, so it is correct for ONE process (the all-in-one mode and tests); several edges need the Redis
 * adapter. Handlers run synchronously inside `revoke`, before its promise resolves. Versions do not
 * expire: the map holds one number per device seen since start.
 */
export class MemoryTokenStore implements TokenStore {
  readonly #versions = new Map<string, number>()
  /** One object per registration, so the same function registered twice is two independent subscriptions. */
  readonly #subscriptions = new Set<{ readonly handler: RevocationHandler }>()
  readonly #log: Logger
  #isClosed = false

  constructor (opts: MemoryTokenStoreOptions = {}) {
    this.#log = opts.log ?? silentLogger
  }

  async getVersion (deviceId: string): Promise<number | undefined> {
    this.#assertOpen()
    assertDeviceId(deviceId)
    return this.#versions.get(deviceId)
  }

  async setVersion (deviceId: string, version: number): Promise<void> {
    this.#assertOpen()
    this.#raise(deviceId, version)
  }

  async revoke (deviceId: string, version: number): Promise<void> {
    this.#assertOpen()
    const stored = this.#raise(deviceId, version)
    for (const { handler } of [...this.#subscriptions]) {
      try {
        handler(deviceId, stored)
      } catch (err) {
        this.#log.warn({ err, deviceId }, 'revocation handler failed')
      }
    }
  }

  onRevoke (handler: RevocationHandler): () => void {
    this.#assertOpen()
    const subscription = { handler }
    this.#subscriptions.add(subscription)
    return () => { this.#subscriptions.delete(subscription) }
  }

  /** One process: the broadcast is never interrupted, so the handler never runs. */
  onResubscribed (_handler: () => void): () => void {
    this.#assertOpen()
    return () => {}
  }

  async close (): Promise<void> {
    this.#isClosed = true
    this.#subscriptions.clear()
    this.#versions.clear()
  }

  #assertOpen (): void {
    if (this.#isClosed) throw new TokenStoreClosedError()
  }

  /** Stores the higher of `version` and the known one; returns what is stored. */
  #raise (deviceId: string, version: number): number {
    assertDeviceId(deviceId)
    assertVersion(version)
    const stored = Math.max(version, this.#versions.get(deviceId) ?? 0)
    this.#versions.set(deviceId, stored)
    return stored
  }
}
