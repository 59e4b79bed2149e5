import { LRUCache } from 'lru-cache'
import type { RoomStore } from '@chat/store'

export interface MembershipCacheOptions {
  /** How long an answer is kept. @default 5_000 */
  readonly ttlMs?: number
  /** Answers kept at most; past it the least recently used go first. @default 100_000 */
  readonly maxEntries?: number
  /** The clock answers age by (ms). @default performance.now */
  readonly now?: () => number
}

/** A database read in flight; `isStale` once an invalidation came while it ran: its answer is not kept. */
interface Read {
  readonly promise: Promise<boolean>
  isStale: boolean
}

/**
 * Room membership answers from PostgreSQL, cached briefly in an LRU cache (lru-cache: bounded, TTL, least
 * recently used first). A membership change anywhere publishes a `members.{roomId}` event that every edge
 * receives; it drops the room's answers here at once, so the TTL only bounds staleness when such an event is lost
 * (a bus reconnect drops the whole cache too). Concurrent misses for one (room, user) share one read, and a read
 * that an invalidation overtook answers its callers but is not kept.
 */
export class MembershipCache {
  readonly #rooms: RoomStore
  readonly #answers: LRUCache<string, boolean>
  /** The cached keys of each room, so a room is dropped without a scan. */
  readonly #keysByRoom = new Map<string, Set<string>>()
  readonly #reads = new Map<string, Read>()

  constructor (rooms: RoomStore, options: MembershipCacheOptions = {}) {
    this.#rooms = rooms
    const now = options.now
    this.#answers = new LRUCache<string, boolean>({
      max: options.maxEntries ?? 100_000,
      ttl: options.ttlMs ?? 5_000,
      ...(now === undefined ? {} : { perf: { now }, ttlResolution: 0 }),
      onInsert: (_value, key, reason) => {
        if (reason !== 'add') return
        const roomId = roomOf(key)
        let keys = this.#keysByRoom.get(roomId)
        if (keys === undefined) this.#keysByRoom.set(roomId, (keys = new Set()))
        keys.add(key)
      },
      dispose: (_value, key, reason) => {
        if (reason === 'set') return // replaced: the key stays
        const roomId = roomOf(key)
        const keys = this.#keysByRoom.get(roomId)
        if (keys === undefined) return
        keys.delete(key)
        if (keys.size === 0) this.#keysByRoom.delete(roomId)
      },
    })
  }

  /** Answers kept now (expired ones included until they are looked at or pushed out). */
  get size (): number {
    return this.#answers.size
  }

  /** Cached answer, or undefined when a database read is needed. */
  peek (roomId: string, userId: string): boolean | undefined {
    return this.#answers.get(keyOf(roomId, userId))
  }

  /** Whether the user is a member, from the cache or the database. */
  async isMember (roomId: string, userId: string): Promise<boolean> {
    const key = keyOf(roomId, userId)
    const cached = this.#answers.get(key)
    if (cached !== undefined) return cached
    const inflight = this.#reads.get(key)
    if (inflight !== undefined) return await inflight.promise
    const read: Read = {
      isStale: false,
      promise: this.#rooms.isMember(roomId, userId).then((isMember) => {
        if (!read.isStale) this.#answers.set(key, isMember)
        return isMember
      }).finally(() => {
        if (this.#reads.get(key) === read) this.#reads.delete(key)
      }),
    }
    this.#reads.set(key, read)
    return await read.promise
  }

  /** Forgets one room's answers (a membership change), including reads still in flight. */
  invalidateRoom (roomId: string): void {
    const keys = this.#keysByRoom.get(roomId)
    if (keys !== undefined) for (const key of [...keys]) this.#answers.delete(key)
    const prefix = roomId + SEPARATOR
    for (const [key, read] of this.#reads) {
      if (key.startsWith(prefix)) {
        read.isStale = true
        this.#reads.delete(key)
      }
    }
  }

  invalidateAll (): void {
    this.#answers.clear()
    for (const read of this.#reads.values()) read.isStale = true
    this.#reads.clear()
  }
}

const SEPARATOR = '\u0000'

function keyOf (roomId: string, userId: string): string {
  return roomId + SEPARATOR + userId
}

function roomOf (key: string): string {
  return key.slice(0, key.indexOf(SEPARATOR))
}
