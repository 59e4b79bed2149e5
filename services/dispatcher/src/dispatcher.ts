import { ACK, REQUEUE, type InboundConsumer, type InboundDelivery, type MessageBus, type Outcome, type StoredDelivery } from '@chat/bus'
import { decodeInboundMessage, encodeChatMessage, type InboundMessage } from '@chat/schemas'
import { StoreErrorCode, StoreUnavailableError, type MessageStore, type PersistResult } from '@chat/store'
import type { Logger } from '@chat/observability'
import type { DispatcherOptions } from './config.js'
import type { DispatcherMetrics } from './metrics.js'

export interface DispatcherDeps {
  readonly bus: MessageBus
  readonly messages: MessageStore
  readonly log: Logger
  readonly metrics: DispatcherMetrics
  readonly options: DispatcherOptions
  /**
   * Test hook: runs after a batch is committed and published, before its deliveries are acked. A crash
   * here is the window idempotency must absorb.
   */
  readonly afterCommit?: (messages: readonly InboundMessage[]) => void | Promise<void>
}

interface Pending {
  readonly message: InboundMessage
  readonly delivery: InboundDelivery
  readonly resolve: (outcome: Outcome) => void
}

const INITIAL_BACKOFF_MS = 100
/**
 * A batch that neither commits nor fails within this long counts as a database outage. (A driver can
 * wait forever on a connection a proxy keeps accepting and dropping.) Should the stalled statement run
 * later, the retry finds its messages stored: idempotency makes the late commit harmless.
 */
const PERSIST_TIMEOUT_MS = 15_000

async function withDeadline<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(StoreErrorCode.UNAVAILABLE, `persist did not finish within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The stateless worker between the room shard queues and PostgreSQL. Deliveries accumulate while a batch
 * is being stored; each batch is ONE transaction that gives every message its room's next `seq`
 * (idempotent on `(room, sender, clientMsgId)`), then the stored messages are published to
 * `chat.deliver`, and only then are the deliveries acked. Batches run one after another, so a shard's
 * order is the order of its queue.
 *
 * - Database unreachable or a conflict: the batch and everything behind it are requeued in order and
 *   consumption pauses with exponential backoff (never a hot loop, nothing dead-lettered).
 * - A message that fails for its own reasons (undecodable, its room gone): `retry` — a copy through a
 *   delay queue with `x-retry-count` + 1, dead-lettered after the attempt limit.
 * - A batch that fails for an unexpected reason is split so the one bad message cannot hold the others.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps
  #consumer: InboundConsumer | undefined
  #queue: Pending[] = []
  #isFlushing = false
  #isPaused = false
  #isClosed = false
  #backoffMs = 0
  #resumeTimer: NodeJS.Timeout | undefined
  #flushScheduled = false
  #idleWaiters: Array<() => void> = []

  constructor (deps: DispatcherDeps) {
    this.#deps = deps
  }

  async start (): Promise<void> {
    this.#consumer = await this.#deps.bus.consumeInbound((d) => this.#onDelivery(d), {
      prefetch: this.#deps.options.prefetch,
      maxAttempts: this.#deps.options.maxAttempts,
    })
  }

  get isPaused (): boolean {
    return this.#isPaused
  }

  /** Stops consuming; a batch being stored finishes first. Unfinished deliveries return to their queues. */
  async close (): Promise<void> {
    this.#isClosed = true
    if (this.#resumeTimer !== undefined) clearTimeout(this.#resumeTimer)
    await this.#consumer?.pause()
    if (this.#isFlushing) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
    const rest = this.#queue
    this.#queue = []
    for (const p of rest) this.#settle(p, REQUEUE)
    await this.#consumer?.close()
  }

  #onDelivery (delivery: InboundDelivery): Promise<Outcome> {
    this.#deps.metrics.consumed.inc({ shard: String(delivery.shard) })
    if (this.#isPaused || this.#isClosed) {
      this.#countOutcome(delivery, REQUEUE)
      return Promise.resolve(REQUEUE)
    }
    const decoded = decodeInboundMessage(delivery.body)
    if (!decoded.ok) {
      const outcome: Outcome = { outcome: 'retry', reason: `invalid: ${decoded.detail}` }
      this.#deps.metrics.invalid.inc()
      this.#countOutcome(delivery, outcome)
      this.#deps.log.warn({ shard: delivery.shard, retryCount: delivery.retryCount, reason: decoded.detail }, 'undecodable message')
      return Promise.resolve(outcome)
    }
    return new Promise<Outcome>((resolve) => {
      this.#queue.push({ message: decoded.value, delivery, resolve })
      this.#scheduleFlush()
    })
  }

  #scheduleFlush (): void {
    if (this.#isFlushing || this.#flushScheduled) return
    if (this.#queue.length >= this.#deps.options.batchMax) {
      void this.#flush()
      return
    }
    // One turn of the event loop lets the deliveries already read off the socket join the batch.
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      void this.#flush()
    })
  }

  async #flush (): Promise<void> {
    if (this.#isFlushing) return
    this.#isFlushing = true
    try {
      while (this.#queue.length > 0 && !this.#isPaused) {
        const batch = this.#queue.splice(0, this.#deps.options.batchMax)
        await this.#process(batch)
      }
    } finally {
      this.#isFlushing = false
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }

  async #process (batch: Pending[]): Promise<void> {
    const m = this.#deps.metrics
    m.batchSize.observe(batch.length)
    let results: readonly PersistResult[]
    const persistStarted = performance.now()
    try {
      results = await withDeadline(this.#deps.messages.persistBatch(batch.map((p) => p.message)), this.#deps.options.persistTimeoutMs ?? PERSIST_TIMEOUT_MS)
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        await this.#transientFailure(batch, err)
        return
      }
      if (batch.length > 1) {
        this.#deps.log.warn({ err, size: batch.length }, 'batch failed, storing its messages one by one')
        for (const p of batch) await this.#process([p])
        return
      }
      const only = batch[0] as Pending
      this.#deps.log.error({ err, roomId: only.message.roomId }, 'message could not be stored')
      this.#settle(only, { outcome: 'retry', reason: `store failed: ${err instanceof Error ? err.message : String(err)}` })
      return
    }
    m.persistSeconds.observe((performance.now() - persistStarted) / 1000)
    this.#backoffMs = 0

    const deliveries: StoredDelivery[] = []
    for (const r of results) {
      if (r.status !== 'stored') continue
      if (r.duplicate) m.redeliveriesAbsorbed.inc()
      deliveries.push({ roomId: r.message.roomId, seq: r.message.seq, id: r.message.id, body: encodeChatMessage(r.message) })
    }
    const deliverStarted = performance.now()
    try {
      // Stored before published, published before acked: a crash anywhere here means a redelivery,
      // which the idempotency key turns into the same stored message published again.
      if (deliveries.length > 0) await this.#deps.bus.publishDeliveries(deliveries)
      await this.#deps.afterCommit?.(batch.map((p) => p.message))
    } catch (err) {
      await this.#transientFailure(batch, err)
      return
    }
    m.deliverSeconds.observe((performance.now() - deliverStarted) / 1000)
    batch.forEach((p, i) => {
      const r = results[i]
      if (r === undefined || r.status === 'stored') this.#settle(p, ACK)
      else this.#settle(p, { outcome: 'retry', reason: r.reason })
    })
  }

  /** Database or broker trouble: requeue this batch and everything queued behind it, in order; pause; back off. */
  async #transientFailure (batch: Pending[], err: unknown): Promise<void> {
    this.#isPaused = true
    this.#deps.metrics.paused.set(1)
    this.#backoffMs = Math.min(this.#deps.options.backoffMaxMs, this.#backoffMs === 0 ? INITIAL_BACKOFF_MS : this.#backoffMs * 2)
    this.#deps.log.warn({ err, size: batch.length, backoffMs: this.#backoffMs }, 'transient failure: requeueing and pausing')
    // Pause first, so the requeued deliveries are not handed straight back to this consumer.
    try {
      await this.#consumer?.pause()
    } catch (pauseErr) {
      this.#deps.log.warn({ err: pauseErr }, 'pause failed')
    }
    const rest = this.#queue
    this.#queue = []
    for (const p of batch) this.#settle(p, REQUEUE)
    for (const p of rest) this.#settle(p, REQUEUE)
    if (this.#isClosed) return
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = undefined
      if (this.#isClosed) return
      this.#isPaused = false
      this.#deps.metrics.paused.set(0)
      this.#consumer?.resume().catch((resumeErr: unknown) => {
        this.#deps.log.warn({ err: resumeErr }, 'resume failed, retrying')
        void this.#transientFailure([], resumeErr)
      })
    }, this.#backoffMs)
  }

  #settle (p: Pending, outcome: Outcome): void {
    this.#countOutcome(p.delivery, outcome)
    p.resolve(outcome)
  }

  /** The bus turns a retry of a message's last attempt into a dead letter: count it as one here. */
  #countOutcome (delivery: InboundDelivery, outcome: Outcome): void {
    const m = this.#deps.metrics
    m.outcomes.inc({ outcome: outcome.outcome })
    if (outcome.outcome === 'dead-letter' || (outcome.outcome === 'retry' && delivery.retryCount + 1 >= this.#deps.options.maxAttempts)) {
      m.deadLetters.inc({ reason: outcome.reason.startsWith('invalid') ? 'invalid' : outcome.reason.split(':')[0] ?? 'unknown' })
    }
  }
}
