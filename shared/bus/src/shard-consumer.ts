import { shardRoutingKey } from '@chat/topology'
import type { BusLogger } from './bus-logger.js'
import { INBOUND_PACK_CONTENT_TYPE, decodeInboundPack } from './inbound-pack.js'
import type { PublishProperties } from './envelopes.js'
import type { InboundDelivery, InboundHandler, Outcome } from './message-bus.js'
import { outcomeOfFailure, planOutcome, readRetryCount } from './outcome-plan.js'
import type { OutcomePlan, RetryPolicy } from './outcome-plan.js'

/** One delivery from a shard queue, as an adapter hands it to `ShardConsumer`. */
export interface ShardDelivery {
  readonly body: Buffer
  readonly messageId: string | undefined
  readonly contentType: string | undefined
  readonly headers: Readonly<Record<string, unknown>>
  readonly redelivered: boolean
  /** Acknowledges it on the channel it came from. Never called once `isLive()` is false. */
  ack (): void
  /** False once the channel it came from is gone: the broker redelivers it, its outcome is moot. */
  isLive (): boolean
}

/** Publishes retry and dead-letter copies. */
export interface CopyPublisher {
  /** Publishes persistent and mandatory; resolves on the broker's confirm, rejects on a nack, return or timeout. */
  publishCopy (exchange: string, routingKey: string, body: Buffer, properties: PublishProperties): Promise<void>
}

export interface ShardConsumerOptions {
  readonly shard: number
  readonly handler: InboundHandler
  readonly policy: RetryPolicy
  readonly publisher: CopyPublisher
  readonly log: BusLogger
  /** First wait before publishing a copy again after it failed; doubles up to 30 s. @default 1_000 */
  readonly republishBackoffMs?: number
}

/**
 * - `waiting`: not with the handler: requeued, or new and queued behind a requeued one.
 * - `handling`: with the handler. - `applying`: a copy awaits its confirm. - `done`: settled or forgotten.
 */
type EntryState = 'waiting' | 'handling' | 'applying' | 'done'

interface Entry {
  readonly delivery: ShardDelivery
  readonly retryCount: number
  state: EntryState
  redelivered: boolean
  timer: NodeJS.Timeout | undefined
}

const MAX_BACKOFF_MS = 30_000
/** Above this many tracked entries, settled ones are swept from the middle of the list too. */
const SWEEP_AT = 1024

/**
 * The outcome rules for one shard queue, shared by every adapter: calls the handler for each delivery,
 * applies its outcome (see `planOutcome`), and holds requeued deliveries to hand them out again in
 * their original order. The adapter owns the broker side: consuming, cancelling, the channel's life.
 *
 * Requeue without the broker: a requeued delivery stays unacknowledged (so a crash still returns it to
 * the head of the queue) and waits; waiting deliveries are handed to the handler again in delivery
 * order, once every delivery before them has an outcome and the consumer is not paused. A new delivery
 * that arrives while one waits queues behind it, so nothing overtakes a requeued delivery. This keeps
 * the order a dispatcher relies on, which neither `nack(requeue)` on a RabbitMQ 3.10 quorum queue (it
 * goes to the back) nor 4.x (it counts towards the delivery limit) would.
 */
export class ShardConsumer {
  readonly #shard: number
  readonly #handler: InboundHandler
  readonly #policy: RetryPolicy
  readonly #publisher: CopyPublisher
  readonly #log: BusLogger
  readonly #backoffMs: number
  /** Every delivery handed out and not yet settled, in delivery order. */
  #entries: Entry[] = []
  #paused = false
  #closed = false
  #replay: NodeJS.Immediate | undefined

  constructor (options: ShardConsumerOptions) {
    this.#shard = options.shard
    this.#handler = options.handler
    this.#policy = options.policy
    this.#publisher = options.publisher
    this.#log = options.log
    this.#backoffMs = options.republishBackoffMs ?? 1_000
  }

  /** Deliveries taken from the broker and not yet settled (waiting, handling, or awaiting a copy's confirm). */
  get outstanding (): number {
    let n = 0
    for (const e of this.#entries) if (e.state !== 'done') n++
    return n
  }

  /**
   * Takes a new message from the broker: one delivery, or the records of an inbound pack (`inbound-pack.ts`)
   * as one delivery each, in order. A pack is acknowledged once every one of its records is settled (acked,
   * or its retry copy confirmed); until then a crash returns the whole pack, and the records already stored
   * come back as duplicates, which the dispatcher absorbs. A pack that does not split goes to the handler
   * whole, which rejects it.
   */
  receive (delivery: ShardDelivery): void {
    if (this.#closed) return
    const records = delivery.contentType === INBOUND_PACK_CONTENT_TYPE ? decodeInboundPack(delivery.body) : undefined
    if (records === undefined) {
      this.#receiveOne(delivery)
      return
    }
    let open = records.length
    for (const body of records) {
      let acked = false
      this.#receiveOne({
        body,
        messageId: undefined,
        contentType: 'application/json',
        headers: delivery.headers,
        redelivered: delivery.redelivered,
        isLive: delivery.isLive,
        ack: () => {
          if (acked) return
          acked = true
          if (--open === 0) delivery.ack()
        },
      })
    }
  }

  /** Calls the handler, unless a requeued delivery waits before this one. */
  #receiveOne (delivery: ShardDelivery): void {
    const queued = this.#paused || this.#entries.some((e) => e.state === 'waiting')
    const entry: Entry = {
      delivery,
      retryCount: readRetryCount(delivery.headers),
      state: queued ? 'waiting' : 'handling',
      redelivered: delivery.redelivered,
      timer: undefined,
    }
    this.#entries.push(entry)
    if (queued) this.#scheduleReplay()
    else this.#handle(entry)
  }

  /** Stops handing out: requeued deliveries and new ones from the broker wait, in order, until `resume()`. */
  pause (): void {
    this.#paused = true
    if (this.#replay !== undefined) {
      clearImmediate(this.#replay)
      this.#replay = undefined
    }
  }

  /** Hands out the waiting deliveries, in order, then new ones as they come. Call before the broker consumes again. */
  resume (): void {
    if (this.#closed) return
    this.#paused = false
    this.#handOutWaiting()
  }

  /** Forgets the deliveries of a channel that is gone: the broker redelivers them. */
  discardDead (): void {
    for (const e of this.#entries) {
      if (e.state !== 'done' && !e.delivery.isLive()) this.#settle(e)
    }
    this.#compact()
  }

  /** Forgets everything and clears the timers. Outcomes decided later are ignored. */
  close (): void {
    this.#closed = true
    this.pause()
    for (const e of this.#entries) this.#settle(e)
    this.#entries = []
  }

  #handle (entry: Entry): void {
    const delivery: InboundDelivery = {
      body: entry.delivery.body,
      shard: this.#shard,
      retryCount: entry.retryCount,
      redelivered: entry.redelivered,
    }
    let result: Promise<Outcome>
    try {
      result = Promise.resolve(this.#handler(delivery))
    } catch (err) {
      result = Promise.reject(err)
    }
    result.then(
      (outcome) => this.#decide(entry, outcome),
      (err: unknown) => this.#decide(entry, outcomeOfFailure(err)),
    ).catch((err: unknown) => {
      this.#log.error({ err, shard: this.#shard }, 'applying an outcome failed')
    })
  }

  #decide (entry: Entry, outcome: Outcome): void {
    if (this.#closed || entry.state !== 'handling') return
    if (!entry.delivery.isLive()) {
      // Its channel is gone: the broker redelivers it to whoever consumes next.
      this.#settle(entry)
      this.#compact()
      return
    }
    const plan = planOutcome(outcome, { retryCount: entry.retryCount, shard: this.#shard, headers: entry.delivery.headers }, this.#policy)
    switch (plan.action) {
      case 'ack':
        entry.delivery.ack()
        this.#settle(entry)
        break
      case 'requeue':
        entry.state = 'waiting'
        entry.redelivered = true
        break
      case 'republish':
        entry.state = 'applying'
        this.#republish(entry, plan, 0)
        break
    }
    this.#compact()
    this.#scheduleReplay()
  }

  #republish (entry: Entry, plan: OutcomePlan & { action: 'republish' }, attempt: number): void {
    entry.timer = undefined
    const d = entry.delivery
    const properties: PublishProperties = {
      ...(d.messageId === undefined ? {} : { messageId: d.messageId }),
      ...(d.contentType === undefined ? {} : { contentType: d.contentType }),
      persistent: true,
      headers: plan.headers,
    }
    // The routing key stays `shard.{k}`: the delay queue dead-letters it back to chat.inbound with it.
    this.#publisher.publishCopy(plan.exchange, shardRoutingKey(this.#shard), d.body, properties).then(() => {
      if (this.#closed || entry.state !== 'applying') return
      if (d.isLive()) d.ack()
      this.#settle(entry)
      this.#compact()
    }, (err: unknown) => {
      if (this.#closed || entry.state !== 'applying') return
      if (!d.isLive()) {
        this.#settle(entry)
        this.#compact()
        return
      }
      // The handler decided; keep the delivery unacknowledged and carry the decision out later,
      // rather than hand it back to the handler in a tight loop.
      const waitMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2 ** attempt)
      this.#log.warn({ err, shard: this.#shard, messageId: d.messageId, kind: plan.kind, waitMs }, 'publishing a copy failed; trying again')
      entry.timer = setTimeout(() => this.#republish(entry, plan, attempt + 1), waitMs)
      entry.timer.unref()
    })
  }

  #settle (entry: Entry): void {
    entry.state = 'done'
    if (entry.timer !== undefined) {
      clearTimeout(entry.timer)
      entry.timer = undefined
    }
  }

  #scheduleReplay (): void {
    if (this.#paused || this.#closed || this.#replay !== undefined) return
    if (!this.#entries.some((e) => e.state === 'waiting')) return
    // Never from the handler's own promise chain: a handler that requeues without pausing must not
    // starve the event loop.
    this.#replay = setImmediate(() => {
      this.#replay = undefined
      this.#handOutWaiting()
    })
  }

  /** Hands out waiting deliveries in delivery order, up to the first one still with the handler. */
  #handOutWaiting (): void {
    const handedOut = new Set<Entry>()
    for (const e of this.#entries) {
      if (this.#paused || this.#closed) break
      if (e.state === 'handling' && !handedOut.has(e)) break
      if (e.state !== 'waiting') continue
      if (!e.delivery.isLive()) {
        this.#settle(e)
        continue
      }
      e.state = 'handling'
      handedOut.add(e)
      this.#handle(e)
    }
    this.#compact()
  }

  #compact (): void {
    let i = 0
    while (i < this.#entries.length && this.#entries[i]?.state === 'done') i++
    if (i > 0) this.#entries.splice(0, i)
    if (this.#entries.length > SWEEP_AT) this.#entries = this.#entries.filter((e) => e.state !== 'done')
  }
}
