import { encodeChatMessage, type ChatMessage } from '@chat/schemas'
import type { MessageStore } from '@chat/store'
import type { Logger } from '@chat/observability'
import { FeedMessage } from './feed-message.js'

/** Something that receives a room's messages in `seq` order: a room subscription of a session. */
export interface FeedSink {
  deliver (message: FeedMessage): void
}

export interface RoomFeedDeps {
  /** Where the room's stored messages are read: its last seq, and pages to fill gaps. */
  readonly store: Pick<MessageStore, 'lastSeq' | 'page'>
  readonly log: Logger
  /** Called for each delivery dropped because its seq was already delivered (at-least-once upstream). */
  readonly onDuplicate?: () => void
  /** Called for each message fetched from the database to fill a gap. */
  readonly onGapFilled?: (count: number) => void
  /** Pause before retrying a failed database read. @default 500 */
  readonly retryDelayMs?: number
}

/** Deliveries held while a gap is being filled; past it they are dropped and re-read from the database. */
const MAX_PENDING = 10_000
const PAGE = 100

/**
 * The stream of one room on this edge: hands every stored message to the local subscribers exactly once
 * and in `seq` order, although the bus delivers at least once and, across dispatcher fail-overs or edge
 * queue re-creation, possibly out of order or with holes. A `seq` at or below the last one handed out is
 * dropped; a `seq` beyond the next one waits while the missing ones are read from the database.
 */
export class RoomFeed {
  readonly roomId: string
  readonly #deps: RoomFeedDeps
  readonly #sinks = new Set<FeedSink>()
  /** Highest seq handed to sinks; everything at or below it was handed out (or predates the feed). */
  #lastSeq = 0
  #started = false
  #filling = false
  #closed = false
  /** Deliveries above lastSeq + 1 waiting for the gap below them, by seq. */
  readonly #pending = new Map<number, FeedMessage>()
  /** Highest seq known to exist (from deliveries, including ones dropped from `#pending`). */
  #knownSeq = 0
  #retryTimer: NodeJS.Timeout | undefined

  constructor (roomId: string, deps: RoomFeedDeps) {
    this.roomId = roomId
    this.#deps = deps
  }

  get lastSeq (): number {
    return this.#lastSeq
  }

  get isStarted (): boolean {
    return this.#started
  }

  get sinkCount (): number {
    return this.#sinks.size
  }

  /**
   * Reads the room's current last seq: messages up to it are history (subscribers get them by
   * `since-seq`), later ones are live. The caller binds the edge queue BEFORE calling this, so a message
   * stored after the read is delivered by the bus. Deliveries pushed earlier are held, then replayed.
   */
  async start (): Promise<void> {
    const last = await this.#deps.store.lastSeq(this.roomId)
    if (this.#closed) return
    this.#lastSeq = last ?? 0
    this.#knownSeq = Math.max(this.#knownSeq, this.#lastSeq)
    this.#started = true
    this.#drain()
  }

  addSink (sink: FeedSink): void {
    this.#sinks.add(sink)
  }

  removeSink (sink: FeedSink): void {
    this.#sinks.delete(sink)
  }

  /** A delivery from the bus. */
  push (message: FeedMessage): void {
    if (this.#closed) return
    if (message.seq > this.#knownSeq) this.#knownSeq = message.seq
    if (this.#started && message.seq <= this.#lastSeq) {
      this.#deps.onDuplicate?.()
      return
    }
    if (this.#started && !this.#filling && message.seq === this.#lastSeq + 1 && this.#pending.size === 0) {
      this.#emit(message)
      return
    }
    if (this.#pending.has(message.seq)) {
      this.#deps.onDuplicate?.()
      return
    }
    if (this.#pending.size >= MAX_PENDING) {
      // Bounded memory: forget the held deliveries; #knownSeq remembers how far to read from the database.
      this.#pending.clear()
    } else {
      this.#pending.set(message.seq, message)
    }
    this.#drain()
  }

  /** The bus lost deliveries (its queue was re-created): read everything after lastSeq from the database. */
  resync (): void {
    if (this.#closed || !this.#started) return
    this.#knownSeq = Number.MAX_SAFE_INTEGER
    this.#drain()
  }

  close (): void {
    this.#closed = true
    this.#sinks.clear()
    this.#pending.clear()
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
  }

  #emit (message: FeedMessage): void {
    this.#lastSeq = message.seq
    for (const sink of this.#sinks) sink.deliver(message)
  }

  /** Hands out what is contiguous; starts a database fill when a gap remains. */
  #drain (): void {
    if (!this.#started || this.#filling || this.#closed) return
    for (;;) {
      const next = this.#pending.get(this.#lastSeq + 1)
      if (next === undefined) break
      this.#pending.delete(next.seq)
      this.#emit(next)
    }
    for (const seq of this.#pending.keys()) if (seq <= this.#lastSeq) this.#pending.delete(seq)
    const target = this.#pending.size > 0 ? Math.min(...this.#pending.keys()) - 1 : this.#knownSeq
    if (target > this.#lastSeq) void this.#fill(target)
  }

  /** Reads (lastSeq, target] from the database in pages, emitting in order; retries on failure. */
  async #fill (target: number): Promise<void> {
    this.#filling = true
    let filled = 0
    try {
      while (this.#lastSeq < target && !this.#closed) {
        const page = await this.#deps.store.page(this.roomId, { after: this.#lastSeq, limit: PAGE })
        if (this.#closed) return
        for (const m of page.messages) {
          if (m.seq <= this.#lastSeq) continue
          this.#pending.delete(m.seq)
          this.#emit(toFeedMessage(m))
          filled++
        }
        if (!page.hasMore || page.messages.length === 0) {
          // Nothing more is stored: a resync reached the end, or the missing seqs are not visible yet.
          if (this.#knownSeq === Number.MAX_SAFE_INTEGER) this.#knownSeq = this.#lastSeq
          break
        }
      }
      this.#filling = false
      if (filled > 0) this.#deps.onGapFilled?.(filled)
      const isNextHeld = this.#pending.has(this.#lastSeq + 1) // the bus closed the gap meanwhile
      if (this.#lastSeq < target && this.#knownSeq !== this.#lastSeq && !isNextHeld && !this.#closed) {
        // Still a hole (not visible yet): look again shortly rather than spin.
        this.#scheduleRetry()
        return
      }
      this.#drain()
    } catch (err) {
      this.#filling = false
      if (filled > 0) this.#deps.onGapFilled?.(filled)
      this.#deps.log.warn({ err, roomId: this.roomId }, 'gap fill failed, retrying')
      this.#scheduleRetry()
    }
  }

  #scheduleRetry (): void {
    if (this.#retryTimer !== undefined || this.#closed) return
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#drain()
    }, this.#deps.retryDelayMs ?? 500)
    this.#retryTimer.unref()
  }
}

export function toFeedMessage (m: ChatMessage): FeedMessage {
  return new FeedMessage(m.roomId, m.seq, m.id, encodeChatMessage(m))
}
