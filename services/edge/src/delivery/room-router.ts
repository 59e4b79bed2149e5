import { StompErrorCode } from '@chat/protocol'
import type { EdgeDelivery, EdgeQueue } from '@chat/bus'
import type { MessageStore } from '@chat/store'
import type { Logger } from '@chat/observability'
import type { EdgeMetrics } from '../metrics.js'
import { FrameRejection } from '../session/frame-errors.js'
import type { EventSink, RoomSubscription, TopicSubscription } from '../session/subscriptions.js'
import { FeedMessage } from './feed-message.js'
import { RoomFeed, toFeedMessage } from './room-feed.js'

export interface RoomRouterDeps {
  readonly queue: EdgeQueue
  readonly messages: MessageStore
  readonly log: Logger
  readonly metrics: Pick<EdgeMetrics, 'deliveries' | 'duplicatesDropped' | 'gapFilled' | 'roomFeeds'>
  /** A `members.{roomId}` event (a join, a leave, a removal), room id in canonical form. */
  readonly onMembersEvent: (roomId: string, body: Buffer) => void
}

interface FeedEntry {
  readonly feed: RoomFeed
  readonly ready: Promise<void>
  unbindTimer: NodeJS.Timeout | undefined
}

/** A room feed outlives its last subscriber this long, so a reconnect storm does not churn bindings. */
const FEED_GRACE_MS = 5_000
/** A backfill replays at most this many messages (SPEC: up to 1,000 back). */
const MAX_RECOVERY = 1000

/**
 * Room routing and delivery on this edge: binds the edge's bus queue to what its sessions subscribe to (room
 * streams, presence and typing topics, user queues), unbinds what nobody needs any more, and hands each
 * delivery from the bus to the local subscribers: room messages through the room's RoomFeed (once, in `seq`
 * order), events straight to the sinks.
 */
export class RoomRouter {
  readonly #deps: RoomRouterDeps
  readonly #feeds = new Map<string, FeedEntry>()
  readonly #topics = new Map<string, Map<EventSink, string>>()
  readonly #users = new Map<string, Set<EventSink>>()

  constructor (deps: RoomRouterDeps) {
    this.#deps = deps
  }

  get feedCount (): number {
    return this.#feeds.size
  }

  // Room streams --------------------------------------------------------------------------

  /**
   * Attaches a room subscription: binds the room on first use, then either starts live at the feed's
   * position or, when the subscription backfills (`since-seq`), reads from the database (up to 1,000, the
   * latest if more) and then switches to live without gap or duplicate.
   */
  async subscribeRoom (sub: RoomSubscription, since: number | undefined): Promise<void> {
    const entry = this.#ensureFeed(sub.roomId)
    try {
      await entry.ready
    } catch (err) {
      this.#deps.log.warn({ err, roomId: sub.roomId }, 'could not bind the room')
      throw new FrameRejection(StompErrorCode.BROKER_UNAVAILABLE, 'could not subscribe: the broker is unavailable', { cause: err })
    }
    if (!sub.isBackfilling) {
      sub.startAfter(entry.feed.lastSeq)
      entry.feed.addSink(sub)
      return
    }
    sub.startAfter(Math.min(since ?? 0, entry.feed.lastSeq))
    entry.feed.addSink(sub)
    try {
      for (;;) {
        const { messages, complete } = await this.#deps.messages.since(sub.roomId, sub.lastSent, MAX_RECOVERY)
        for (const m of messages) sub.writeBackfilled(toFeedMessage(m), complete)
        if (sub.finishBackfill()) break
      }
    } catch (err) {
      this.#deps.log.warn({ err, roomId: sub.roomId }, 'backfill failed')
      throw new FrameRejection(StompErrorCode.UNAVAILABLE, 'could not read the room history; subscribe again', { cause: err })
    }
  }

  unsubscribeRoom (sub: RoomSubscription): void {
    const entry = this.#feeds.get(sub.roomId)
    if (entry === undefined) return
    entry.feed.removeSink(sub)
    if (entry.feed.sinkCount === 0) this.#scheduleUnbind(sub.roomId, entry)
  }

  #ensureFeed (roomId: string): FeedEntry {
    const existing = this.#feeds.get(roomId)
    if (existing !== undefined) {
      if (existing.unbindTimer !== undefined) {
        clearTimeout(existing.unbindTimer)
        existing.unbindTimer = undefined
      }
      return existing
    }
    const { queue, metrics } = this.#deps
    const feed = new RoomFeed(roomId, {
      store: this.#deps.messages,
      log: this.#deps.log,
      onDuplicate: () => metrics.duplicatesDropped.inc(),
      onGapFilled: (n) => metrics.gapFilled.inc(n),
    })
    // Bind BEFORE reading the room's last seq: anything stored after the read is then on the bus.
    const ready = queue.bind({ kind: 'room', roomId }).then(async () => await feed.start())
    const entry: FeedEntry = { feed, ready, unbindTimer: undefined }
    this.#feeds.set(roomId, entry)
    metrics.roomFeeds.set(this.#feeds.size)
    ready.catch(() => {
      if (this.#feeds.get(roomId) === entry) {
        this.#feeds.delete(roomId)
        metrics.roomFeeds.set(this.#feeds.size)
        feed.close()
        queue.unbind({ kind: 'room', roomId }).catch(() => {})
      }
    })
    return entry
  }

  #scheduleUnbind (roomId: string, entry: FeedEntry): void {
    if (entry.unbindTimer !== undefined) return
    entry.unbindTimer = setTimeout(() => {
      entry.unbindTimer = undefined
      if (entry.feed.sinkCount > 0 || this.#feeds.get(roomId) !== entry) return
      this.#feeds.delete(roomId)
      this.#deps.metrics.roomFeeds.set(this.#feeds.size)
      entry.feed.close()
      this.#deps.queue.unbind({ kind: 'room', roomId }).catch((err: unknown) => this.#deps.log.warn({ err, roomId }, 'unbind failed'))
    }, FEED_GRACE_MS)
    entry.unbindTimer.unref()
  }

  // Presence and typing topics, user queues ------------------------------------------------------

  async subscribeTopic (sink: EventSink, sub: TopicSubscription): Promise<void> {
    const key = `${sub.kind}:${sub.roomId}`
    let subscribers = this.#topics.get(key)
    if (subscribers === undefined) {
      subscribers = new Map()
      this.#topics.set(key, subscribers)
      try {
        await this.#deps.queue.bind({ kind: sub.kind, roomId: sub.roomId })
      } catch (err) {
        this.#topics.delete(key)
        throw err
      }
    }
    subscribers.set(sink, sub.id)
  }

  unsubscribeTopic (sink: EventSink, sub: TopicSubscription): void {
    const key = `${sub.kind}:${sub.roomId}`
    const subscribers = this.#topics.get(key)
    if (subscribers === undefined) return
    subscribers.delete(sink)
    if (subscribers.size === 0) {
      this.#topics.delete(key)
      this.#deps.queue.unbind({ kind: sub.kind, roomId: sub.roomId }).catch((err: unknown) => this.#deps.log.warn({ err }, 'unbind failed'))
    }
  }

  async subscribeUser (sink: EventSink, userId: string): Promise<void> {
    const sinks = this.#users.get(userId)
    if (sinks !== undefined) {
      sinks.add(sink)
      return
    }
    this.#users.set(userId, new Set([sink]))
    try {
      await this.#deps.queue.bind({ kind: 'user', userId })
    } catch (err) {
      this.#users.delete(userId)
      throw err
    }
  }

  unsubscribeUser (sink: EventSink, userId: string): void {
    const sinks = this.#users.get(userId)
    if (sinks === undefined) return
    sinks.delete(sink)
    if (sinks.size === 0) {
      this.#users.delete(userId)
      this.#deps.queue.unbind({ kind: 'user', userId }).catch((err: unknown) => this.#deps.log.warn({ err }, 'unbind failed'))
    }
  }

  // Bus deliveries ---------------------------------------------------------------------------

  /** One delivery from the edge queue. */
  deliver (d: EdgeDelivery): void {
    this.#deps.metrics.deliveries.inc({ kind: d.kind })
    switch (d.kind) {
      case 'room': {
        this.#feeds.get(d.roomId)?.feed.push(new FeedMessage(d.roomId, d.seq, d.id, d.body))
        return
      }
      case 'presence':
      case 'typing': {
        const subscribers = this.#topics.get(`${d.kind}:${d.roomId}`)
        if (subscribers === undefined) return
        const destination = `/topic/rooms.${d.roomId}.${d.kind}`
        for (const [sink, subId] of subscribers) sink.writeEvent(subId, destination, d.body)
        return
      }
      case 'user': {
        const sinks = this.#users.get(d.userId)
        if (sinks === undefined) return
        for (const sink of sinks) sink.notify(d.body)
        return
      }
      case 'members': {
        this.#deps.onMembersEvent(d.roomId, d.body)
      }
    }
  }

  /** The bus lost deliveries (the edge queue was re-created): every feed refills from the database. */
  resync (): void {
    this.#deps.log.info({ feeds: this.#feeds.size }, 'edge queue re-created, refilling rooms from the database')
    for (const entry of this.#feeds.values()) entry.feed.resync()
  }

  close (): void {
    for (const entry of this.#feeds.values()) {
      if (entry.unbindTimer !== undefined) clearTimeout(entry.unbindTimer)
      entry.feed.close()
    }
    this.#feeds.clear()
  }
}
