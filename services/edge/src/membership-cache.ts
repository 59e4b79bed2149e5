import type { RoomStore } from '@chat/store'

interface Entry {
  readonly isMember: boolean
  readonly expiresAt: number
}

/**
 * Room membership answers from PostgreSQL, cached briefly. A membership change anywhere publishes a
 * `members.{roomId}` event that every edge receives; it drops the room's entries here at once, so the
 * TTL only bounds staleness when such an event is lost (a bus reconnect drops the whole cache too).
 */
export class MembershipCache {
  readonly #rooms: RoomStore
  readonly #ttlMs: number
  readonly #now: () => number
  readonly #byRoom = new Map<string, Map<string, Entry>>()
  readonly #inflight = new Map<string, Promise<boolean>>()
  #size = 0
  readonly #maxEntries: number

  constructor (rooms: RoomStore, options: { ttlMs?: number, maxEntries?: number, now?: () => number } = {}) {
    this.#rooms = rooms
    this.#ttlMs = options.ttlMs ?? 5_000
    this.#maxEntries = options.maxEntries ?? 100_000
    this.#now = options.now ?? Date.now
  }

  /** Cached answer, or undefined when a database read is needed. */
  peek (roomId: string, userId: string): boolean | undefined {
    const e = this.#byRoom.get(roomId)?.get(userId)
    if (e === undefined || e.expiresAt <= this.#now()) return undefined
    return e.isMember
  }

  /** Whether the user is a member, from the cache or the database. Concurrent misses share one read. */
  async isMember (roomId: string, userId: string): Promise<boolean> {
    const cached = this.peek(roomId, userId)
    if (cached !== undefined) return cached
    const key = `${roomId}/${userId}`
    let p = this.#inflight.get(key)
    if (p === undefined) {
      p = this.#rooms.isMember(roomId, userId).then((isMember) => {
        this.#set(roomId, userId, isMember)
        return isMember
      }).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, p)
    }
    return await p
  }

  /** Forgets one room's answers (a membership change). */
  invalidateRoom (roomId: string): void {
    const m = this.#byRoom.get(roomId)
    if (m === undefined) return
    this.#size -= m.size
    this.#byRoom.delete(roomId)
  }

  invalidateAll (): void {
    this.#byRoom.clear()
    this.#size = 0
  }

  #set (roomId: string, userId: string, isMember: boolean): void {
    if (this.#size >= this.#maxEntries) this.invalidateAll()
    let m = this.#byRoom.get(roomId)
    if (m === undefined) {
      m = new Map()
      this.#byRoom.set(roomId, m)
    }
    if (!m.has(userId)) this.#size++
    m.set(userId, { isMember, expiresAt: this.#now() + this.#ttlMs })
  }
}
