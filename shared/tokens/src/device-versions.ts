import type { Logger } from '@chat/redis'
import type { TokenStore } from './token-store.js'

/**
 * The current token version of a device, as the edge (CONNECT) and the REST API (every request) check it.
 * The token store answers first; the database (`loadVersion`, the source of truth) answers when the store
 * does not know the device, cannot be reached, or holds a version below the token's — a store that missed
 * a write must not lock a freshly logged-in device out. What the database says is written back to the store.
 */
export class DeviceVersions {
  readonly #tokens: TokenStore
  readonly #loadVersion: (deviceId: string) => Promise<number | undefined>
  readonly #log: Logger

  constructor (deps: { tokens: TokenStore, loadVersion: (deviceId: string) => Promise<number | undefined>, log: Logger }) {
    this.#tokens = deps.tokens
    this.#loadVersion = deps.loadVersion
    this.#log = deps.log
  }

  /** The device's version, or undefined when the device does not exist. `tokenVersion`: the `ver` being checked. */
  async current (deviceId: string, tokenVersion = 0): Promise<number | undefined> {
    try {
      const v = await this.#tokens.getVersion(deviceId)
      if (v !== undefined && v >= tokenVersion) return v
    } catch (err) {
      this.#log.warn({ err }, 'token store unavailable, reading the version from the database')
    }
    const version = await this.#loadVersion(deviceId)
    if (version === undefined) return undefined
    this.#tokens.setVersion(deviceId, version).catch((err: unknown) => this.#log.warn({ err }, 'could not cache the token version'))
    return version
  }

  /**
   * The device's version as the database has it, written back to the token store (never lowering it there): what
   * an edge re-checks for its live sessions when the token store's broadcast was interrupted (`onResubscribed`),
   * since a revocation published meanwhile, or lost with a failed-over Redis primary, is still in the database.
   */
  async fromDatabase (deviceId: string): Promise<number | undefined> {
    const version = await this.#loadVersion(deviceId)
    if (version !== undefined) {
      await this.#tokens.setVersion(deviceId, version).catch((err: unknown) => this.#log.warn({ err }, 'could not cache the token version'))
    }
    return version
  }
}
