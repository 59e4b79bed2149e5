import type { MessageBus } from '@chat/bus'
import type { RoomStore } from '@chat/store'
import type { Logger } from '@chat/observability'

export interface ReadMarkersDeps {
  readonly rooms: RoomStore
  readonly bus: MessageBus
  readonly log: Logger
}

/** Read markers from ACKs are written at most this often per (user, room). */
const FLUSH_MS = 1_000

/**
 * Read markers: a user's last read `seq` per room in the database (never moving back), and the new unread count
 * told to the user's other sessions. ACKs come one a message, so theirs are coalesced per (user, room) and
 * written once a second.
 */
export class ReadMarkers {
  readonly #deps: ReadMarkersDeps
  readonly #pending = new Map<string, { userId: string, roomId: string, seq: number }>()
  #timer: NodeJS.Timeout | undefined

  constructor (deps: ReadMarkersDeps) {
    this.#deps = deps
  }

  start (): void {
    this.#timer = setInterval(() => this.flush(), FLUSH_MS)
    this.#timer.unref()
  }

  /** Moves the user's read marker (never back) and tells the user's other sessions the new unread count. */
  async markRead (userId: string, roomId: string, seq: number): Promise<void> {
    const result = await this.#deps.rooms.markRead(roomId, userId, seq)
    if (result === undefined) return
    const body = JSON.stringify({ type: 'unread', roomId, unread: result.unread, lastReadSeq: result.lastReadSeq })
    this.#deps.bus.publishEvent({ kind: 'user', userId, body }).catch((err: unknown) => this.#deps.log.warn({ err }, 'unread event lost'))
  }

  /** Coalesced per (user, room), the highest seq kept, written on the next flush. */
  markReadLater (userId: string, roomId: string, seq: number): void {
    const key = `${userId}/${roomId}`
    const prev = this.#pending.get(key)
    if (prev === undefined || prev.seq < seq) this.#pending.set(key, { userId, roomId, seq })
  }

  /** Writes what is pending now. */
  flush (): void {
    if (this.#pending.size === 0) return
    const batch = [...this.#pending.values()]
    this.#pending.clear()
    for (const r of batch) {
      this.markRead(r.userId, r.roomId, r.seq).catch((err: unknown) => this.#deps.log.warn({ err }, 'read marker not written'))
    }
  }

  /** Stops the timer and writes what is pending. */
  close (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.flush()
  }
}
