import type { StompVersion } from '@chat/protocol'
import { serializeFrame } from '@chat/protocol'
import type { FeedMessage } from '../delivery/feed-message.js'
import type { FeedSink } from '../delivery/room-feed.js'

export type AckMode = 'auto' | 'client' | 'client-individual'

/** Writes bytes to the session that owns a subscription; the subscription never sees the socket. */
export interface SubscriptionOwner {
  readonly version: StompVersion
  write (frame: Buffer): void
}

/** A session as a receiver of ephemeral events: presence and typing topics, the user's notifications. */
export interface EventSink {
  /** An event MESSAGE on a topic subscription, with the event's shared bytes. */
  writeEvent (subscriptionId: string, destination: string, body: Buffer): void
  /** A message on /user/queue/notifications, if the session subscribes to it. */
  notify (body: string | Buffer): void
}

/** Live deliveries held while a `since-seq` backfill runs; past it the backfill is redone from the database. */
const MAX_HELD = 10_000

/**
 * A session's subscription to a room stream. It hands each `seq` to the client once and in order: a
 * `since-seq` backfill from the database first (live deliveries held meanwhile), then the live stream,
 * dropping any `seq` it already sent.
 */
export class RoomSubscription implements FeedSink {
  readonly kind = 'room'
  readonly id: string
  readonly roomId: string
  readonly ackMode: AckMode
  readonly #owner: SubscriptionOwner
  /** Highest seq written to the client (or where the stream starts). */
  #lastSent: number
  #held: FeedMessage[] | undefined
  #heldOverflow = false
  #closed = false

  constructor (owner: SubscriptionOwner, id: string, roomId: string, ackMode: AckMode, lastSent: number, isBackfilling: boolean) {
    this.#owner = owner
    this.id = id
    this.roomId = roomId
    this.ackMode = ackMode
    this.#lastSent = lastSent
    this.#held = isBackfilling ? [] : undefined
  }

  get isBackfilling (): boolean {
    return this.#held !== undefined
  }

  /** Highest seq written to the client, or where the stream starts before anything was. */
  get lastSent (): number {
    return this.#lastSent
  }

  /** Sets where the stream starts: nothing at or below `seq` is written (the feed's position, or `since-seq`). */
  startAfter (seq: number): void {
    this.#lastSent = seq
  }

  deliver (message: FeedMessage): void {
    if (this.#closed) return
    if (this.#held !== undefined) {
      if (this.#held.length < MAX_HELD) this.#held.push(message)
      else this.#heldOverflow = true
      return
    }
    this.#write(message)
  }

  /** Writes one backfilled message (from the database), marked `x-recovered:false` when the backfill was cut. */
  writeBackfilled (message: FeedMessage, isComplete: boolean): void {
    if (this.#closed || message.seq <= this.#lastSent) return
    if (isComplete) {
      this.#write(message)
      return
    }
    const headers: Array<[string, string | number]> = [
      ['destination', `/topic/rooms.${this.roomId}`],
      ['message-id', message.id],
      ['seq', message.seq],
      ['content-type', 'application/json'],
      ['subscription', this.id],
      ['x-recovered', 'false'],
    ]
    if (this.ackMode !== 'auto') headers.push(['ack', ackId(this.roomId, message.seq)])
    this.#lastSent = message.seq
    this.#owner.write(serializeFrame({ command: 'MESSAGE', headers, body: message.body }, this.#owner.version))
  }

  /**
   * Ends the backfill: writes the held live deliveries beyond what was sent. Returns false when live
   * deliveries overflowed while holding: the caller must backfill again from `lastSent`.
   */
  finishBackfill (): boolean {
    const held = this.#held ?? []
    const overflowed = this.#heldOverflow
    this.#held = overflowed ? [] : undefined
    this.#heldOverflow = false
    if (overflowed) return false
    for (const m of held) this.#write(m)
    return true
  }

  close (): void {
    this.#closed = true
    this.#held = undefined
  }

  #write (message: FeedMessage): void {
    if (message.seq <= this.#lastSent) return
    this.#lastSent = message.seq
    const ack = this.ackMode === 'auto' ? undefined : ackId(this.roomId, message.seq)
    this.#owner.write(message.frame(this.#owner.version, this.id, ack))
  }
}

/** The `ack` header of a room MESSAGE: `{roomId}:{seq}`, so an ACK names the read marker it moves. */
export function ackId (roomId: string, seq: number): string {
  return `${roomId}:${seq}`
}

export function parseAckId (value: string): { roomId: string, seq: number } | undefined {
  const i = value.lastIndexOf(':')
  if (i <= 0) return undefined
  const digits = value.slice(i + 1)
  const seq = Number(digits)
  if (!/^\d{1,16}$/.test(digits) || !Number.isSafeInteger(seq)) return undefined
  return { roomId: value.slice(0, i), seq }
}

/** A subscription to ephemeral room events: `.presence` or `.typing`. */
export interface TopicSubscription {
  readonly kind: 'presence' | 'typing'
  readonly id: string
  readonly roomId: string
}

/** A subscription to one of the user's own queues. */
export interface UserQueueSubscription {
  readonly kind: 'notifications' | 'errors'
  readonly id: string
}

export type Subscription = RoomSubscription | TopicSubscription | UserQueueSubscription
