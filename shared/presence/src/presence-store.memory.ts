import { PresenceClosedError } from './errors.js'
import { systemClock } from './presence-store.js'
import type { Clock, PresenceSession, PresenceStore, RoomMemberOnline, UserStatus } from './presence-store.js'
import { assertEpochMs, assertId, assertSession, assertTtlMs, assertUserId } from './validate.js'

export interface MemoryPresenceStoreOptions {
  /** How long an entry stays live after its last refresh, in ms. A positive integer. */
  ttlMs: number
  /** Source of the current time (epoch ms). @default systemClock (Date.now) */
  clock?: Clock
}

/** Most expired entries one call removes, on top of as many as it writes: bounds the latency of any call. */
const PRUNE_BATCH = 1_000

/** scope id (room id or user id) → member (`{userId}:{sessionId}` or session id) → entry */
type Index = Map<string, Map<string, Entry>>

interface Entry {
  readonly index: Index
  readonly scopeId: string
  readonly member: string
  readonly userId: string
  expiresAt: number
}

/**
 * The embedded presence store: everything in this process's memory, so it is correct for ONE process
 * only (the all-in-one mode and tests); several edges need the Redis adapter. Same contract as every
 * `PresenceStore`, expiry included, measured by the injected clock.
 *
 * Expired entries are never counted, and are removed without a timer: every entry also sits in one
 * queue ordered by refresh time, which with a single ttl is expiry order, so each call pops the expired
 * head of the queue (at most 1,000 entries more than it writes, so no call pays for a mass expiry at
 * once). Memory is thus bounded by the live entries plus a backlog that refreshes and lookups keep
 * draining. The username and last-seen maps keep one small entry per user ever seen, as the Redis hashes
 * do. If the clock steps backwards, lookups stay correct and pruning of later entries is only delayed.
 */
export class MemoryPresenceStore implements PresenceStore {
  readonly #ttlMs: number
  readonly #clock: Clock
  readonly #rooms: Index = new Map()
  readonly #users: Index = new Map()
  readonly #names = new Map<string, string>()
  readonly #lastSeen = new Map<string, number>()
  /** Every entry, oldest refresh first (a Set keeps insertion order; re-adding moves to the end). */
  readonly #byRefresh = new Set<Entry>()
  #isClosed = false

  constructor (opts: MemoryPresenceStoreOptions) {
    assertTtlMs(opts.ttlMs)
    this.#ttlMs = opts.ttlMs
    this.#clock = opts.clock ?? systemClock
  }

  /** Room and user entries held, including expired ones not pruned yet. For metrics and tests. */
  get size (): number {
    return this.#byRefresh.size
  }

  async refresh (sessions: readonly PresenceSession[]): Promise<void> {
    this.#assertOpen()
    for (const s of sessions) assertSession(s)
    const now = this.#clock.now()
    let written = 0
    for (const s of sessions) written += 1 + s.rooms.length
    this.#prune(now, PRUNE_BATCH + written)
    const expiresAt = now + this.#ttlMs
    for (const s of sessions) {
      this.#names.set(s.userId, s.username)
      this.#touch(this.#users, s.userId, s.sessionId, s.userId, expiresAt)
      for (const room of s.rooms) this.#touch(this.#rooms, room, roomMember(s.userId, s.sessionId), s.userId, expiresAt)
    }
  }

  async leaveRoom (sessionId: string, userId: string, roomId: string): Promise<void> {
    this.#assertOpen()
    assertId('sessionId', sessionId)
    assertUserId(userId)
    assertId('roomId', roomId)
    this.#remove(this.#rooms.get(roomId)?.get(roomMember(userId, sessionId)))
  }

  async endSession (session: PresenceSession, at: number): Promise<void> {
    this.#assertOpen()
    assertSession(session)
    assertEpochMs('at', at)
    this.#remove(this.#users.get(session.userId)?.get(session.sessionId))
    const member = roomMember(session.userId, session.sessionId)
    for (const room of session.rooms) this.#remove(this.#rooms.get(room)?.get(member))
    const seen = this.#lastSeen.get(session.userId)
    if (seen === undefined || seen < at) this.#lastSeen.set(session.userId, at)
  }

  async roomOnline (roomId: string): Promise<readonly RoomMemberOnline[]> {
    this.#assertOpen()
    assertId('roomId', roomId)
    const now = this.#clock.now()
    this.#prune(now, PRUNE_BATCH)
    const counts = new Map<string, number>()
    for (const e of this.#liveIn(this.#rooms, roomId, now)) counts.set(e.userId, (counts.get(e.userId) ?? 0) + 1)
    return [...counts].map(([userId, sessions]) => ({ userId, username: this.#names.get(userId) ?? '', sessions }))
  }

  async userStatus (userId: string): Promise<UserStatus> {
    this.#assertOpen()
    assertUserId(userId)
    const now = this.#clock.now()
    this.#prune(now, PRUNE_BATCH)
    const sessions = this.#liveIn(this.#users, userId, now).length
    return { online: sessions > 0, sessions, lastSeenAt: this.#lastSeen.get(userId) ?? null }
  }

  async close (): Promise<void> {
    this.#isClosed = true
    this.#rooms.clear()
    this.#users.clear()
    this.#names.clear()
    this.#lastSeen.clear()
    this.#byRefresh.clear()
  }

  #assertOpen (): void {
    if (this.#isClosed) throw new PresenceClosedError()
  }

  /** Live entries of one scope; expired ones met on the way are removed (the scan visits them anyway). */
  #liveIn (index: Index, scopeId: string, now: number): Entry[] {
    const live: Entry[] = []
    for (const e of index.get(scopeId)?.values() ?? []) {
      if (e.expiresAt > now) live.push(e)
      else this.#remove(e)
    }
    return live
  }

  #touch (index: Index, scopeId: string, member: string, userId: string, expiresAt: number): void {
    let scope = index.get(scopeId)
    if (scope === undefined) {
      scope = new Map()
      index.set(scopeId, scope)
    }
    let entry = scope.get(member)
    if (entry === undefined) {
      entry = { index, scopeId, member, userId, expiresAt }
      scope.set(member, entry)
    } else {
      entry.expiresAt = expiresAt
      this.#byRefresh.delete(entry)
    }
    this.#byRefresh.add(entry)
  }

  #remove (entry: Entry | undefined): void {
    if (entry === undefined) return
    this.#byRefresh.delete(entry)
    const scope = entry.index.get(entry.scopeId)
    if (scope?.get(entry.member) !== entry) return
    scope.delete(entry.member)
    if (scope.size === 0) entry.index.delete(entry.scopeId)
  }

  /** Removes expired entries from the head of the queue, at most `budget` of them. */
  #prune (now: number, budget: number): void {
    for (const e of this.#byRefresh) {
      if (budget-- <= 0 || e.expiresAt > now) return
      this.#remove(e)
    }
  }
}

function roomMember (userId: string, sessionId: string): string {
  return `${userId}:${sessionId}`
}
