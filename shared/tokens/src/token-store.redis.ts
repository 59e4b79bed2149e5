import type { Redis, RedisOptions } from 'ioredis'
import { KeyPrefix, isRedisRefusal, silentLogger, type Logger } from '@chat/redis'
import { connectRedis, quitRedis, type RedisTarget } from '@chat/redis/connect'
import { TokenStoreClosedError, TokenStoreRejectedError, TokenStoreUnavailableError } from './errors.js'
import type { RevocationHandler, TokenStore } from './token-store.js'
import { assertDeviceId, assertVersion } from './validate.js'

export type { Logger, RedisConnection } from '@chat/redis'
export type { RedisTarget } from '@chat/redis/connect'

/** 30 days: long enough that a device's version is read from the database about once a month. */
const DEFAULT_VERSION_TTL_MS = 30 * 24 * 60 * 60 * 1000

export interface RedisTokenStoreOptions {
  /** An ioredis client the caller owns: the store only borrows it, and `close()` leaves it open. */
  client: Redis
  /**
   * Prepended to every key and to the revocation channel, e.g. `'chat:'`. Deployments and tests sharing a
   * server use distinct prefixes. (A `keyPrefix` set on the client is prepended to keys by ioredis as well.)
   */
  keyPrefix: string
  /**
   * How long a version stays known after its last write, in ms; afterwards `getVersion` says undefined and
   * the caller refills it from the database. @default 2_592_000_000 (30 days)
   */
  versionTtlMs?: number
  /** Receives handler errors, subscriber connection errors and reconnects. @default a logger that drops them */
  log?: Logger
}

export interface RedisTokenConnectOptions extends Omit<RedisTokenStoreOptions, 'client'> {
  /** `redis://[:password@]host[:port][/db]` or `rediss://…`, or Sentinels and the primary's name (`loadConnections`). */
  url: RedisTarget
  /** Extra ioredis options for the connections the store creates (retry strategy, TLS, name…). @default {} */
  redisOptions?: RedisOptions
}

/**
 * Sets the version key to the higher of ARGV[1] and its current number, renews its expiry and, when
 * ARGV[3] names a channel, publishes `{"deviceId","version"}` with the stored version, all atomically, so
 * two racing writers can never lower a version. Values stay strings: Lua would print big numbers as 1e+15.
 * KEYS[1] version key; ARGV: version, ttl ms, channel or '', device id. Returns the stored version.
 */
const RAISE_VERSION = `
local v = ARGV[1]
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) and tonumber(cur) >= tonumber(v) then v = cur end
redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], '{"deviceId":' .. cjson.encode(ARGV[4]) .. ',"version":' .. v .. '}')
end
return v`

/**
 * Device token versions in Redis (`{keyPrefix}tokens:ver:{deviceId}`, a decimal string expiring
 * `versionTtlMs` after its last write), and revocations broadcast with PUBLISH on
 * `{keyPrefix}revocations` as JSON `{ deviceId, version }`.
 *
 * Writes are one Lua script each (never-lower is atomic; `revoke` sets and publishes in the same step).
 * `onRevoke` opens a second connection the first time it is called (a subscribed connection can run no
 * other command) and delivers every message to this instance's handlers, including revocations it
 * published itself. After a reconnect (a Redis restart, a Sentinel failover) it subscribes again and, once
 * subscribed, runs the `onResubscribed` handlers: what was published meanwhile is lost to the broadcast, and
 * the caller re-checks its devices in the database. Not for Redis Cluster.
 */
export class RedisTokenStore implements TokenStore {
  readonly #client: Redis
  readonly #keys: KeyPrefix
  readonly #channel: string
  readonly #versionTtlMs: number
  readonly #log: Logger
  readonly #subscriptions = new Set<{ readonly handler: RevocationHandler }>()
  readonly #resubscribed = new Set<{ readonly handler: () => void }>()
  #subscriber: Redis | undefined
  #ownsClient = false
  #isClosed = false

  /** Borrows `client`; see `connect` for a store that owns its connection. */
  constructor (opts: RedisTokenStoreOptions) {
    assertStoreOptions(opts)
    this.#keys = new KeyPrefix(opts.keyPrefix)
    this.#client = opts.client
    this.#channel = this.#keys.key('revocations')
    this.#versionTtlMs = opts.versionTtlMs ?? DEFAULT_VERSION_TTL_MS
    this.#log = opts.log ?? silentLogger
  }

  /**
   * Opens a connection the store owns (`close()` quits it) and resolves once it is ready. Rejects with
   * TokenStoreUnavailableError, leaving nothing open, when the server cannot be reached.
   */
  static async connect (opts: RedisTokenConnectOptions): Promise<RedisTokenStore> {
    assertStoreOptions(opts)
    // Fail fast while Redis is away (FAIL_FAST): callers have fallbacks (the database, best-effort presence) and
    // must never wait on an offline queue. Overridable through redisOptions.
    let client: Redis
    try {
      client = await connectRedis(opts.url, { what: 'token store', ...(opts.log === undefined ? {} : { log: opts.log }), ...(opts.redisOptions === undefined ? {} : { options: opts.redisOptions }) })
    } catch (err) {
      throw new TokenStoreUnavailableError({ cause: err })
    }
    const { url: _url, redisOptions: _options, ...rest } = opts
    const store = new RedisTokenStore({ ...rest, client })
    store.#ownsClient = true
    return store
  }

  async getVersion (deviceId: string): Promise<number | undefined> {
    this.#assertOpen()
    assertDeviceId(deviceId)
    const value = await graded(this.#client.get(this.#versionKey(deviceId)))
    if (value === null) return undefined
    const version = Number(value)
    return Number.isSafeInteger(version) && version > 0 ? version : undefined // anything else: unknown, refill
  }

  async setVersion (deviceId: string, version: number): Promise<void> {
    this.#assertOpen()
    await this.#raise(deviceId, version, '')
  }

  async revoke (deviceId: string, version: number): Promise<void> {
    this.#assertOpen()
    await this.#raise(deviceId, version, this.#channel)
  }

  onRevoke (handler: RevocationHandler): () => void {
    this.#assertOpen()
    const subscription = { handler }
    this.#subscriptions.add(subscription)
    this.#subscriber ??= this.#subscribe()
    return () => { this.#subscriptions.delete(subscription) }
  }

  onResubscribed (handler: () => void): () => void {
    this.#assertOpen()
    const subscription = { handler }
    this.#resubscribed.add(subscription)
    return () => { this.#resubscribed.delete(subscription) }
  }

  /** Idempotent. Ends the subscriber connection, and the command connection only if `connect` created it. */
  async close (): Promise<void> {
    if (this.#isClosed) return
    this.#isClosed = true
    this.#subscriptions.clear()
    this.#resubscribed.clear()
    // Nothing pending on the subscriber matters: drop it at once, even while it is still connecting.
    this.#subscriber?.disconnect()
    if (this.#ownsClient) await quitRedis(this.#client)
  }

  #assertOpen (): void {
    if (this.#isClosed) throw new TokenStoreClosedError()
  }

  #versionKey (deviceId: string): string {
    return this.#keys.key('tokens', 'ver', deviceId)
  }

  async #raise (deviceId: string, version: number, channel: string): Promise<void> {
    assertDeviceId(deviceId)
    assertVersion(version)
    await graded(this.#client.eval(RAISE_VERSION, 1, this.#versionKey(deviceId), version, this.#versionTtlMs, channel, deviceId))
  }

  #subscribe (): Redis {
    // A subscribed connection waits for the server as long as it takes (no per-request retry limit). It
    // subscribes on every ready itself (not ioredis' autoResubscribe) so that it knows when the broadcast is
    // heard again, and only then tells the onResubscribed handlers to re-check what may have been missed.
    const sub = this.#client.duplicate({ autoResubscribe: false, enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false })
    let readyCount = 0
    sub.on('error', (err: unknown) => this.#log.warn({ err }, 'revocation subscriber connection error'))
    sub.on('ready', () => {
      const isReconnect = readyCount++ > 0
      sub.subscribe(this.#channel).then(() => {
        if (!isReconnect || this.#isClosed) return
        this.#log.warn({ channel: this.#channel }, 'revocation subscriber reconnected; re-checking what may have been missed')
        for (const { handler } of [...this.#resubscribed]) {
          try {
            handler()
          } catch (err) {
            this.#log.warn({ err }, 'resubscribe handler failed')
          }
        }
      }, (err: unknown) => {
        if (!this.#isClosed) this.#log.warn({ err, channel: this.#channel }, 'revocation subscribe failed')
      })
    })
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#deliver(message)
    })
    return sub
  }

  #deliver (message: string): void {
    const revocation = parseRevocation(message)
    if (revocation === undefined) {
      this.#log.warn({ channel: this.#channel }, 'malformed revocation message ignored')
      return
    }
    for (const { handler } of [...this.#subscriptions]) {
      try {
        handler(revocation.deviceId, revocation.version)
      } catch (err) {
        this.#log.warn({ err, deviceId: revocation.deviceId }, 'revocation handler failed')
      }
    }
  }
}

function assertStoreOptions (opts: Omit<RedisTokenStoreOptions, 'client'>): void {
  if (typeof opts.keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string')
  const ttl = opts.versionTtlMs ?? DEFAULT_VERSION_TTL_MS
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new RangeError('versionTtlMs must be a positive integer (ms)')
}

function parseRevocation (message: string): { deviceId: string, version: number } | undefined {
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { deviceId, version } = value as Record<string, unknown>
  if (typeof deviceId !== 'string' || deviceId.length === 0) return undefined
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= 0) return undefined
  return { deviceId, version }
}

/** A reply error means the server refused; anything else (closed connection, retries exhausted) means unreachable. */
async function graded<T> (reply: Promise<T>): Promise<T> {
  try {
    return await reply
  } catch (err) {
    if (isRedisRefusal(err)) throw new TokenStoreRejectedError({ cause: err })
    throw new TokenStoreUnavailableError({ cause: err })
  }
}
