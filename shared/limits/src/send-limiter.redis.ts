import type { Redis, RedisOptions } from 'ioredis'
import { connectRedis, type RedisTarget } from '@chat/redis/connect'
import { LRUCache } from 'lru-cache'
import { TokenBucket, assertRate } from './token-bucket.js'
import { silentLogger, type Logger } from './logger.js'
import { FAIL_FAST, RedisScript } from './redis-script.js'
import type { SendLimitOptions, SendLimiter } from './send-limiter.js'

/**
 * Charges ARGV[4] SENDs to the user's bucket, on the server's clock (TIME) so edges whose clocks disagree share one
 * bucket. The SENDs already went, so the bucket may go into debt (down to -burst): it pays it back at the rate.
 * Returns 0 while a token is left, else the milliseconds until the next one. The key expires once the bucket would
 * be full again: an absent key is a full bucket.
 */
const CHARGE = new RedisScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'n')
local tokens = burst
if state[1] then
  local elapsed = math.max(0, now - tonumber(state[1]))
  tokens = math.min(burst, tonumber(state[2]) + elapsed * rate)
end
tokens = math.max(-burst, tokens - tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 't', now, 'n', tokens)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + tonumber(ARGV[3]))
if tokens >= 1 - 1e-9 then return 0 end
return math.max(1, math.ceil((1 - tokens) / rate))`)

export interface RedisSendLimiterOptions extends SendLimitOptions {
  /** An ioredis client the caller owns: the limiter borrows it, and `close()` leaves it open. */
  readonly client: Redis
  /** Prepended to every key (`{keyPrefix}sendrate:{userId}`); deployments and tests sharing a server use distinct prefixes. */
  readonly keyPrefix: string
  /** Told when Redis does not answer (at most once a minute). @default a logger that drops it */
  readonly log?: Logger
  /** Users whose local state is kept (see MemorySendLimiter's maxUsers). @default 100_000 */
  readonly maxUsers?: number
  /** The local clock. @default Date.now */
  readonly now?: () => number
}

export interface RedisSendLimiterConnectOptions extends Omit<RedisSendLimiterOptions, 'client'> {
  /** `redis://[:password@]host[:port][/db]` or `rediss://…`, or Sentinels and the primary's name (`loadConnections`). */
  readonly url: RedisTarget
  /** Extra ioredis options for the connection the limiter opens. @default {} */
  readonly redisOptions?: RedisOptions
}

interface LocalState {
  /** This process's own view of the user's bucket: it counts the SENDs made here. */
  readonly bucket: TokenBucket
  /** Until when the shared bucket is empty (local ms), as Redis last said. */
  blockedUntil: number
}

/** Slack added to a key's life past the moment its bucket is full again (ms). */
const KEY_SLACK_MS = 1_000
const WARN_EVERY_MS = 60_000

/**
 * A SendLimiter shared by every edge: each user's bucket lives in Redis, and the SENDs every edge lets through are
 * charged to it. A SEND never waits for Redis; it is decided here, from two local answers:
 *
 * - a local bucket per user with the same rate and burst counts the SENDs made through this process. It never
 *   holds fewer tokens than the shared bucket (which counts every process's SENDs), so when it is empty the shared
 *   one is too, and the SEND is refused: no round trip;
 * - once Redis said the shared bucket is empty (the user also sends through other edges), the user is refused here
 *   until Redis said the next token comes: no round trip either.
 *
 * Each SEND let through is charged to Redis in the background (one script call for all of a user's SENDs of one
 * turn of the event loop), and the answer sets the block. So a user with sessions on several edges gets the rate
 * once, not once an edge; what they may send beyond it is what their edges let through while a charge's answer is
 * on its way (a round trip), and it is charged as debt that later SENDs wait out. When Redis does not answer,
 * each edge limits the user on its own (k edges: k times the rate) until it is back.
 */
export class RedisSendLimiter implements SendLimiter {
  readonly #client: Redis
  readonly #keyPrefix: string
  readonly #rate: number
  readonly #burst: number
  readonly #log: Logger
  readonly #now: () => number
  readonly #local: LRUCache<string, LocalState>
  /** SENDs let through this turn and not charged yet, by user. */
  #uncharged = new Map<string, number>()
  #flushing: Promise<void> | undefined
  #ownsClient = false
  #warnedAt = Number.NEGATIVE_INFINITY

  constructor (opts: RedisSendLimiterOptions) {
    assertRate(opts.ratePerSecond, opts.burst)
    if (typeof opts.keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string')
    this.#client = opts.client
    this.#keyPrefix = `${opts.keyPrefix}sendrate:`
    this.#rate = opts.ratePerSecond
    this.#burst = opts.burst
    this.#log = opts.log ?? silentLogger
    this.#now = opts.now ?? Date.now
    this.#local = new LRUCache({ max: opts.maxUsers ?? 100_000 })
  }

  /** Opens a connection the limiter owns (`close()` quits it) and resolves once it is ready; rejects if Redis does not answer. */
  static async connect (opts: RedisSendLimiterConnectOptions): Promise<RedisSendLimiter> {
    const { url, redisOptions, ...rest } = opts
    const client = await connectRedis(url, { what: 'send limiter', log: opts.log ?? silentLogger, options: { ...FAIL_FAST, ...redisOptions } })
    const limiter = new RedisSendLimiter({ ...rest, client })
    limiter.#ownsClient = true
    return limiter
  }

  take (userId: string): boolean {
    const now = this.#now()
    const local = this.#stateOf(userId, now)
    if (now < local.blockedUntil) return false
    if (!local.bucket.take(now)) return false
    this.#uncharged.set(userId, (this.#uncharged.get(userId) ?? 0) + 1)
    this.#flushing ??= new Promise((resolve) => setImmediate(resolve)).then(async () => await this.#charge())
    return true
  }

  /** Resolves once the SENDs let through so far are charged to Redis (or Redis failed to answer). For tests. */
  async settled (): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing
  }

  async close (): Promise<void> {
    await this.settled()
    this.#local.clear()
    if (this.#ownsClient) {
      this.#ownsClient = false
      await this.#client.quit().catch(() => { this.#client.disconnect() })
    }
  }

  async #charge (): Promise<void> {
    const batch = this.#uncharged
    this.#uncharged = new Map()
    const keyLifeMs = KEY_SLACK_MS
    try {
      await Promise.all([...batch].map(async ([userId, count]) => {
        const waitMs = Number(await CHARGE.run(this.#client, [this.#keyPrefix + userId], [this.#rate / 1000, this.#burst, keyLifeMs, count]))
        const local = this.#local.get(userId)
        if (local !== undefined && waitMs > 0) local.blockedUntil = this.#now() + waitMs
      }))
    } catch (err) {
      const now = this.#now()
      if (now - this.#warnedAt >= WARN_EVERY_MS) {
        this.#warnedAt = now
        this.#log.warn({ err }, 'send limiter: redis did not answer, limiting users per edge meanwhile')
      }
    } finally {
      this.#flushing = undefined
      if (this.#uncharged.size > 0) this.#flushing = this.#charge()
    }
  }

  #stateOf (userId: string, now: number): LocalState {
    let state = this.#local.get(userId)
    if (state === undefined) {
      state = { bucket: new TokenBucket(this.#rate, this.#burst, now), blockedUntil: 0 }
      this.#local.set(userId, state)
    }
    return state
  }
}
