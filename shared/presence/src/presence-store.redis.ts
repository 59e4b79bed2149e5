import type { ChainableCommander, Redis, RedisOptions } from 'ioredis'
import { KeyPrefix, isRedisRefusal, type Logger } from '@chat/redis'
import { connectRedis, quitRedis, type RedisTarget } from '@chat/redis/connect'
import { PresenceClosedError, PresenceRejectedError, PresenceUnavailableError } from './errors.js'
import type { PresenceSession, PresenceStore, RoomMemberOnline, UserStatus } from './presence-store.js'
import { assertEpochMs, assertId, assertSession, assertTtlMs, assertUserId } from './validate.js'

export type { Logger, RedisConnection } from '@chat/redis'
export type { RedisTarget } from '@chat/redis/connect'

export interface RedisPresenceStoreOptions {
  /** An ioredis client the caller owns: the store only borrows it, and `close()` leaves it open. */
  client: Redis
  /**
   * Prepended to every key the store writes, e.g. `'chat:'`. Deployments and tests sharing a server use
   * distinct prefixes. (A `keyPrefix` set on the client itself is prepended by ioredis as well.)
   */
  keyPrefix: string
  /** How long an entry stays live after its last refresh, in ms. Every writer must use the same value. */
  ttlMs: number
}

export interface RedisPresenceConnectOptions {
  /** `redis://[:password@]host[:port][/db]` or `rediss://…`, or Sentinels and the primary's name (`loadConnections`). */
  url: RedisTarget
  /** See `RedisPresenceStoreOptions.keyPrefix`. */
  keyPrefix: string
  /** See `RedisPresenceStoreOptions.ttlMs`. */
  ttlMs: number
  /** Extra ioredis options for the connection the store creates (retry strategy, TLS, name…). @default {} */
  redisOptions?: RedisOptions
  /** Receives the connection's errors (the client reconnects on its own). @default a logger that drops them */
  log?: Logger
}

/** Keys live this many ttls past their last refresh, so a member's score never outlives its key even if edge clocks disagree by up to a ttl. */
const KEY_TTL_FACTOR = 2

/** HSET the field to ARGV[2] unless it already holds a larger number: last seen never moves back. */
const SET_MAX_FIELD = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if cur == nil or cur < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0`

/**
 * Presence in Redis, shared by every edge. Keys (all under `keyPrefix`):
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `presence:room:{roomId}` | sorted set | `{userId}:{sessionId}` scored by expiry (epoch ms) |
 * | `presence:user:{userId}` | sorted set | `{sessionId}` scored by expiry (epoch ms) |
 * | `presence:names` | hash | userId → latest username |
 * | `presence:lastseen` | hash | userId → epoch ms of the latest disconnect |
 *
 * Lookups count only members scored after now and prune the rest (ZREMRANGEBYSCORE); refreshes prune
 * the keys they touch, so a busy set that nobody reads does not collect dead sessions either. The set
 * keys and the names hash expire `2 × ttlMs` after the last refresh, so a deployment whose edges all died
 * leaves nothing behind; last seen times are kept (one field per user, no expiry).
 *
 * Time is the local clock of the process (Date.now), not the server's: every entry carries its absolute
 * expiry, so this assumes the edges' clocks agree within a few seconds (NTP), which skews an entry's
 * life by at most that much. A refresh is one pipeline (one round trip) whatever the batch size; a
 * room lookup is two (the members, then their usernames). Not for Redis Cluster: the keys of one call
 * live in different slots.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly #client: Redis
  readonly #ttlMs: number
  readonly #keys: KeyPrefix
  readonly #namesKey: string
  readonly #lastSeenKey: string
  #ownsClient = false
  #isClosed = false

  /** Borrows `client`; see `connect` for a store that owns its connection. */
  constructor (opts: RedisPresenceStoreOptions) {
    assertTtlMs(opts.ttlMs)
    this.#keys = new KeyPrefix(opts.keyPrefix)
    this.#client = opts.client
    this.#ttlMs = opts.ttlMs
    this.#namesKey = this.#keys.key('presence', 'names')
    this.#lastSeenKey = this.#keys.key('presence', 'lastseen')
  }

  /**
   * Opens a connection the store owns (`close()` quits it) and resolves once it is ready. Rejects with
   * PresenceUnavailableError, leaving nothing open, when the server cannot be reached.
   */
  static async connect (opts: RedisPresenceConnectOptions): Promise<RedisPresenceStore> {
    assertTtlMs(opts.ttlMs)
    // Fail fast while Redis is away (FAIL_FAST): callers have fallbacks (the database, best-effort presence) and
    // must never wait on an offline queue. Overridable through redisOptions.
    let client: Redis
    try {
      client = await connectRedis(opts.url, { what: 'presence', ...(opts.log === undefined ? {} : { log: opts.log }), ...(opts.redisOptions === undefined ? {} : { options: opts.redisOptions }) })
    } catch (err) {
      throw new PresenceUnavailableError({ cause: err })
    }
    const store = new RedisPresenceStore({ client, keyPrefix: opts.keyPrefix, ttlMs: opts.ttlMs })
    store.#ownsClient = true
    return store
  }

  async refresh (sessions: readonly PresenceSession[]): Promise<void> {
    this.#assertOpen()
    for (const s of sessions) assertSession(s)
    if (sessions.length === 0) return
    const now = Date.now()
    const expiresAt = now + this.#ttlMs
    // One ZADD per key with all of its members, so the pipeline grows with the keys, not the entries.
    const sets = new Map<string, Array<string | number>>()
    const names = new Map<string, string>()
    const add = (key: string, member: string): void => {
      let args = sets.get(key)
      if (args === undefined) sets.set(key, (args = []))
      args.push(expiresAt, member)
    }
    for (const s of sessions) {
      names.set(s.userId, s.username)
      add(this.#userKey(s.userId), s.sessionId)
      for (const room of s.rooms) add(this.#roomKey(room), roomMember(s.userId, s.sessionId))
    }
    const keyTtlMs = this.#ttlMs * KEY_TTL_FACTOR
    const p = this.#client.pipeline()
    for (const [key, args] of sets) {
      p.zremrangebyscore(key, '-inf', now)
      p.zadd(key, ...args)
      p.pexpire(key, keyTtlMs)
    }
    p.hset(this.#namesKey, names)
    p.pexpire(this.#namesKey, keyTtlMs)
    await exec(p)
  }

  async leaveRoom (sessionId: string, userId: string, roomId: string): Promise<void> {
    this.#assertOpen()
    assertId('sessionId', sessionId)
    assertUserId(userId)
    assertId('roomId', roomId)
    await exec(this.#client.pipeline().zrem(this.#roomKey(roomId), roomMember(userId, sessionId)))
  }

  async endSession (session: PresenceSession, at: number): Promise<void> {
    this.#assertOpen()
    assertSession(session)
    assertEpochMs('at', at)
    const p = this.#client.pipeline()
    p.zrem(this.#userKey(session.userId), session.sessionId)
    const member = roomMember(session.userId, session.sessionId)
    for (const room of new Set(session.rooms)) p.zrem(this.#roomKey(room), member)
    p.eval(SET_MAX_FIELD, 1, this.#lastSeenKey, session.userId, at)
    await exec(p)
  }

  async roomOnline (roomId: string): Promise<readonly RoomMemberOnline[]> {
    this.#assertOpen()
    assertId('roomId', roomId)
    const key = this.#roomKey(roomId)
    const now = Date.now()
    const [, members] = await exec(this.#client.pipeline()
      .zremrangebyscore(key, '-inf', now)
      .zrangebyscore(key, `(${now}`, '+inf'))
    const counts = new Map<string, number>()
    for (const m of members as string[]) {
      const userId = m.slice(0, m.indexOf(':'))
      counts.set(userId, (counts.get(userId) ?? 0) + 1)
    }
    if (counts.size === 0) return []
    const userIds = [...counts.keys()]
    const [names] = await exec(this.#client.pipeline().hmget(this.#namesKey, ...userIds))
    return userIds.map((userId, i) => ({
      userId,
      username: (names as Array<string | null>)[i] ?? '',
      sessions: counts.get(userId) ?? 0,
    }))
  }

  async userStatus (userId: string): Promise<UserStatus> {
    this.#assertOpen()
    assertUserId(userId)
    const key = this.#userKey(userId)
    const now = Date.now()
    const [, count, seen] = await exec(this.#client.pipeline()
      .zremrangebyscore(key, '-inf', now)
      .zcount(key, `(${now}`, '+inf')
      .hget(this.#lastSeenKey, userId))
    const sessions = Number(count)
    return { online: sessions > 0, sessions, lastSeenAt: seen === null ? null : Number(seen) }
  }

  /** Idempotent. Quits the connection only if `connect` created it; a borrowed client stays open. */
  async close (): Promise<void> {
    if (this.#isClosed) return
    this.#isClosed = true
    if (this.#ownsClient) await quitRedis(this.#client)
  }

  #assertOpen (): void {
    if (this.#isClosed) throw new PresenceClosedError()
  }

  #roomKey (roomId: string): string {
    return this.#keys.key('presence', 'room', roomId)
  }

  #userKey (userId: string): string {
    return this.#keys.key('presence', 'user', userId)
  }
}

function roomMember (userId: string, sessionId: string): string {
  return `${userId}:${sessionId}` // user ids hold no ':' (checked), so the first ':' splits it back
}

/** Runs a pipeline (one round trip) and returns its replies, or throws the first failure, graded. */
async function exec (p: ChainableCommander): Promise<unknown[]> {
  let results: Array<[Error | null, unknown]> | null
  try {
    results = await p.exec()
  } catch (err) {
    throw grade(err)
  }
  if (results === null) throw new PresenceUnavailableError()
  return results.map(([err, value]) => {
    if (err !== null) throw grade(err)
    return value
  })
}

function grade (err: unknown): Error {
  return isRedisRefusal(err) ? new PresenceRejectedError({ cause: err }) : new PresenceUnavailableError({ cause: err })
}
