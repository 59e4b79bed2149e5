import type { ChatMessage, RoomListItem, Visibility } from './wire.js'

export interface RoomState {
  readonly id: string
  readonly name: string
  readonly visibility: Visibility
  /** Highest seq known in the room (from the list, the stream or a page). */
  readonly lastSeq: number
  /** The person's read marker as far as this tab knows. */
  readonly lastReadSeq: number
}

/**
 * The person's rooms and their unread counts. Unread is computed as the server does (SPEC section 3):
 * `lastSeq - lastReadSeq`, where the person's own message moves their marker up to it. Both numbers only move
 * forward, so facts from any source (a REST list, a live message, a backfill, an `unread` notification from
 * another tab) can be applied in any order and the badge stays right, never counting a message twice.
 */
export class RoomDirectory {
  readonly #me: string
  readonly #rooms = new Map<string, RoomState>()
  readonly #listeners: Array<() => void> = []

  constructor (myUserId: string) {
    this.#me = myUserId
  }

  onChange (listener: () => void): void {
    this.#listeners.push(listener)
  }

  get (id: string): RoomState | undefined {
    return this.#rooms.get(id)
  }

  has (id: string): boolean {
    return this.#rooms.has(id)
  }

  /** Sorted by name, as the server lists them. */
  list (): RoomState[] {
    return [...this.#rooms.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
  }

  unread (id: string): number {
    const r = this.#rooms.get(id)
    return r === undefined ? 0 : Math.max(0, r.lastSeq - r.lastReadSeq)
  }

  /** Applies `GET /api/rooms` (mine). Returns the rooms added and removed. */
  replaceAll (items: readonly RoomListItem[]): { added: string[], removed: string[] } {
    const seen = new Set<string>()
    const added: string[] = []
    for (const item of items) {
      seen.add(item.id)
      if (!this.#rooms.has(item.id)) added.push(item.id)
      this.#merge(item)
    }
    const removed = [...this.#rooms.keys()].filter((id) => !seen.has(id))
    for (const id of removed) this.#rooms.delete(id)
    this.#emit()
    return { added, removed }
  }

  /** A room the person just created or joined, or that the list knows. */
  upsert (item: RoomListItem): void {
    this.#merge(item)
    this.#emit()
  }

  remove (id: string): boolean {
    const had = this.#rooms.delete(id)
    if (had) this.#emit()
    return had
  }

  /** Messages seen in a room, in seq order: they raise `lastSeq`, and the person's own move their marker. */
  noteMessages (roomId: string, messages: readonly ChatMessage[]): void {
    const r = this.#rooms.get(roomId)
    if (r === undefined || messages.length === 0) return
    let { lastSeq, lastReadSeq } = r
    for (const m of messages) {
      lastSeq = Math.max(lastSeq, m.seq)
      if (m.senderId === this.#me) lastReadSeq = Math.max(lastReadSeq, m.seq)
    }
    this.#update(r, lastSeq, lastReadSeq)
  }

  /** The marker moved (read here, or an `unread` notification from another tab or device). */
  markRead (roomId: string, seq: number): void {
    const r = this.#rooms.get(roomId)
    if (r !== undefined) this.#update(r, r.lastSeq, Math.max(r.lastReadSeq, seq))
  }

  clear (): void {
    this.#rooms.clear()
    this.#emit()
  }

  #merge (item: RoomListItem): void {
    const r = this.#rooms.get(item.id)
    const lastSeq = Math.max(r?.lastSeq ?? 0, item.lastSeq)
    const lastReadSeq = Math.max(r?.lastReadSeq ?? 0, item.lastSeq - item.unread)
    this.#rooms.set(item.id, { id: item.id, name: item.name, visibility: item.visibility, lastSeq, lastReadSeq })
  }

  #update (r: RoomState, lastSeq: number, lastReadSeq: number): void {
    if (lastSeq === r.lastSeq && lastReadSeq === r.lastReadSeq) return
    this.#rooms.set(r.id, { ...r, lastSeq, lastReadSeq })
    this.#emit()
  }

  #emit (): void {
    for (const l of this.#listeners) l()
  }
}
