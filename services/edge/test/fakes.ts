import { randomUUID } from 'node:crypto'
import { StompParser, bodyText, type Frame, type StompVersion } from '@chat/protocol'
import type { ChatMessage } from '@chat/schemas'
import type { MessagePage, MessageStore } from '@chat/store'
import type { Logger } from '@chat/observability'
import { pino } from 'pino'
import { FeedMessage } from '../src/delivery/feed-message.js'
import type { FeedSink } from '../src/delivery/room-feed.js'
import type { SubscriptionOwner } from '../src/session/subscriptions.js'

// Fakes for the edge's unit tests: a room's stored messages, a sink, a subscription owner, a logger.

export const ROOM = '0190a000-0000-7000-8000-000000000001'
const SENDER = '0190a000-0000-7000-8000-0000000000aa'

export function storedMessage (seq: number, roomId = ROOM): ChatMessage {
  return { id: randomUUID(), roomId, seq, senderId: SENDER, senderName: 'alice', type: 'TALK', content: `m${seq}`, clientMsgId: `c${seq}`, sentAt: new Date(0).toISOString() }
}

export function feedMessage (seq: number, roomId = ROOM): FeedMessage {
  const m = storedMessage(seq, roomId)
  return new FeedMessage(roomId, seq, m.id, JSON.stringify(m))
}

/**
 * A room's stored messages as RoomFeed reads them (`lastSeq`, `page`). `visibleUpTo` hides messages above it (stored
 * by the dispatcher but not visible to this reader yet); `failNext` makes the next reads reject.
 */
export class FakeMessages implements Pick<MessageStore, 'lastSeq' | 'page'> {
  readonly stored: ChatMessage[] = []
  visibleUpTo = Number.POSITIVE_INFINITY
  failNext = 0
  reads = 0

  constructor (count = 0) {
    this.add(count)
  }

  /** Stores `count` more messages. */
  add (count: number): void {
    for (let i = 0; i < count; i++) this.stored.push(storedMessage(this.stored.length + 1))
  }

  async lastSeq (): Promise<number | undefined> {
    this.#read()
    return Math.min(this.stored.length, this.visibleUpTo)
  }

  async page (_roomId: string, query: { readonly after?: number, readonly limit: number }): Promise<MessagePage> {
    this.#read()
    const after = query.after ?? 0
    const visible = this.stored.filter((m) => m.seq > after && m.seq <= this.visibleUpTo)
    return { messages: visible.slice(0, query.limit), hasMore: visible.length > query.limit }
  }

  #read (): void {
    this.reads++
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('database unavailable')
    }
  }
}

/** A sink that records the seqs it was handed. */
export class SeqSink implements FeedSink {
  readonly seqs: number[] = []
  deliver (message: FeedMessage): void {
    this.seqs.push(message.seq)
  }
}

/** A subscription owner that parses what it is given back into frames. */
export class FrameOwner implements SubscriptionOwner {
  readonly version: StompVersion
  readonly frames: Frame[] = []
  readonly #parser = new StompParser()

  constructor (version: StompVersion = '1.2') {
    this.version = version
  }

  write (frame: Buffer): void {
    for (const event of this.#parser.push(frame)) {
      if (event.type === 'frame') this.frames.push({ ...event.frame, body: event.frame.body.slice() })
      else if (event.type === 'error') throw new Error(`unparsable frame: ${event.detail}`)
    }
  }

  get seqs (): number[] {
    return this.frames.map((f) => Number(f.headers.seq))
  }

  bodies (): string[] {
    return this.frames.map((f) => bodyText(f))
  }
}

/** A pino logger that keeps what is logged (at `level` and above) as parsed entries. */
export function recordingLogger (level = 'warn'): { log: Logger, entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = []
  const log = pino({ level }, { write: (line: string) => { entries.push(JSON.parse(line) as Record<string, unknown>) } })
  return { log, entries }
}
