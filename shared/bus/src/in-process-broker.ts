import type { QueueSpec, TopologyChannel } from '@chat/topology'

/**
 * A small AMQP-like message broker inside one process: the engine of `InProcessMessageBus`, with the
 * semantics the bus relies on from RabbitMQ.
 *
 * - Exchanges: `direct`, `topic` (`*` one word, `#` zero or more) and `fanout`; the default exchange
 *   `''` routes to the queue named by the routing key. A queue bound twice gets a message once.
 * - Queues: FIFO. A requeued message goes back to its original position (ahead of everything enqueued
 *   after it). Arguments honoured: `x-message-ttl` (expiry at the head, as quorum queues do),
 *   `x-dead-letter-exchange` / `x-dead-letter-routing-key` (the routing key is kept unless set),
 *   `x-dead-letter-strategy: at-least-once` (an expired message that routes nowhere stays and is tried
 *   again), `x-max-length` with `x-overflow` `drop-head` (dead-lettered as `maxlen`) or `reject-publish`
 *   (the publish is rejected), `x-single-active-consumer`. Exclusive queues belong to the channel that
 *   declared them and die with it; auto-delete queues die with their last consumer.
 * - Consumers: manual ack with a prefetch bound, or no-ack; ack, nack with or without requeue (without:
 *   dead-lettered as `rejected`). Cancelling stops deliveries but keeps the unacknowledged ones
 *   settleable; closing the channel requeues them.
 * - Publishing is synchronous and returns whether the message reached a queue (the confirm);
 *   deliveries are always made later from `setImmediate`, never inside the publisher's call stack.
 *
 * Single process only; nothing is persisted. Timers are unref'd and cleared by `close()`.
 */
export class InProcessBroker {
  readonly #exchanges = new Map<string, ExchangeState>()
  readonly #queues = new Map<string, QueueState>()
  readonly #onCallbackError: (err: unknown) => void
  #seq = 0
  #closed = false

  constructor (options: { readonly onCallbackError?: (err: unknown) => void } = {}) {
    this.#onCallbackError = options.onCallbackError ?? (() => {})
    this.#exchanges.set('', { name: '', type: 'direct', bindings: [] })
  }

  get isClosed (): boolean {
    return this.#closed
  }

  /** Declares an exchange; declaring it again with another type is a PRECONDITION_FAILED error. */
  declareExchange (name: string, type: ExchangeType): void {
    this.#open()
    const existing = this.#exchanges.get(name)
    if (existing !== undefined) {
      if (existing.type !== type) throw new BrokerError('PRECONDITION_FAILED', `exchange '${name}' exists with type ${existing.type}`)
      return
    }
    if (type !== 'direct' && type !== 'topic' && type !== 'fanout') throw new BrokerError('NOT_IMPLEMENTED', `exchange type '${String(type)}'`)
    this.#exchanges.set(name, { name, type, bindings: [] })
  }

  /**
   * Declares a queue. Declaring it again with other properties or arguments is a PRECONDITION_FAILED
   * error; declaring another channel's exclusive queue is RESOURCE_LOCKED.
   */
  declareQueue (name: string, options: QueueOptions = {}, owner?: BrokerChannel): void {
    this.#open()
    const exclusive = options.exclusive === true
    if (exclusive && owner === undefined) throw new BrokerError('PRECONDITION_FAILED', 'an exclusive queue needs a channel to own it')
    const args = options.arguments ?? {}
    const existing = this.#queues.get(name)
    if (existing !== undefined) {
      if (existing.owner !== undefined && existing.owner !== owner) throw new BrokerError('RESOURCE_LOCKED', `queue '${name}' is exclusive to another channel`)
      if (existing.exclusive !== exclusive || existing.autoDelete !== (options.autoDelete === true) ||
        existing.durable !== (options.durable !== false) || !sameArguments(existing.rawArgs, args)) {
        throw new BrokerError('PRECONDITION_FAILED', `queue '${name}' exists with other properties or arguments`)
      }
      return
    }
    const q = new QueueState(name, {
      durable: options.durable !== false,
      exclusive,
      autoDelete: options.autoDelete === true,
      rawArgs: { ...args },
      owner: exclusive ? owner : undefined,
    })
    this.#queues.set(name, q)
    this.#exchanges.get('')?.bindings.push({ queue: name, key: name, words: [] })
    owner?.ownQueue(name)
  }

  /** Routes `routingKey` from the exchange to the queue. Idempotent. */
  bind (queue: string, exchange: string, routingKey: string): void {
    this.#open()
    const e = this.#exchange(exchange)
    this.#queue(queue)
    if (e.bindings.some((b) => b.queue === queue && b.key === routingKey)) return
    e.bindings.push({ queue, key: routingKey, words: splitWords(routingKey) })
  }

  /** Removes a binding; an absent one is not an error. */
  unbind (queue: string, exchange: string, routingKey: string): void {
    this.#open()
    const e = this.#exchanges.get(exchange)
    if (e === undefined) return
    e.bindings = e.bindings.filter((b) => !(b.queue === queue && b.key === routingKey))
  }

  /** Deletes a queue with its messages and bindings; its consumers are cancelled. Absent: no-op. */
  deleteQueue (name: string): void {
    const q = this.#queues.get(name)
    if (q === undefined) return
    this.#queues.delete(name)
    for (const e of this.#exchanges.values()) e.bindings = e.bindings.filter((b) => b.queue !== name)
    q.deleted = true
    q.clearTimers()
    const consumers = q.consumers
    q.consumers = []
    for (const c of consumers) {
      c.channel.forgetConsumer(c.tag)
      this.#call(() => c.onCancel?.())
    }
  }

  /**
   * Publishes. `routed`: enqueued in every queue it routes to (the confirm). `unroutable`: it reached
   * no queue (with `mandatory`, the publisher gets it back). `rejected`: a queue at its length limit
   * with `reject-publish` refused it (a nack). A missing exchange is a NOT_FOUND error.
   */
  publish (exchange: string, routingKey: string, body: Buffer, properties: MessageProperties = {}): PublishResult {
    this.#open()
    const e = this.#exchange(exchange)
    const targets = this.#route(e, routingKey)
    if (targets.length === 0) return 'unroutable'
    const message: BrokerMessage = { exchange, routingKey, body, properties }
    let rejected = false
    for (const q of targets) {
      if (!this.#enqueue(q, message)) rejected = true
    }
    return rejected ? 'rejected' : 'routed'
  }

  /** Takes the head of a queue, acknowledged at once (basic.get with no-ack). */
  get (queue: string): BrokerDelivery | undefined {
    this.#open()
    const q = this.#queue(queue)
    this.#expire(q)
    const s = q.ready.shift()
    if (s === undefined) return undefined
    this.#scheduleExpiry(q)
    return { ...s.message, consumerTag: '', deliveryTag: 0, redelivered: s.redelivered }
  }

  /** Ready messages (not counting those delivered and unacknowledged). */
  messageCount (queue: string): number {
    return this.#queue(queue).ready.length
  }

  hasQueue (queue: string): boolean {
    return this.#queues.has(queue)
  }

  /** A channel: the owner of consumers, their unacknowledged deliveries and exclusive queues. */
  createChannel (): BrokerChannel {
    this.#open()
    return new BrokerChannel(this, {
      consume: (ch, queue, onMessage, options) => this.#consume(ch, queue, onMessage, options),
      cancel: (ch, tag) => this.#cancel(ch, tag),
      settle: (ch, tag, how) => this.#settle(ch, tag, how),
    })
  }

  /** Stops every timer and delivery; later calls throw CLOSED. Idempotent. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    for (const q of this.#queues.values()) q.clearTimers()
    this.#queues.clear()
    this.#exchanges.clear()
  }

  #open (): void {
    if (this.#closed) throw new BrokerError('CLOSED', 'the broker is closed')
  }

  #exchange (name: string): ExchangeState {
    const e = this.#exchanges.get(name)
    if (e === undefined) throw new BrokerError('NOT_FOUND', `no exchange '${name}'`)
    return e
  }

  #queue (name: string): QueueState {
    const q = this.#queues.get(name)
    if (q === undefined) throw new BrokerError('NOT_FOUND', `no queue '${name}'`)
    return q
  }

  #route (e: ExchangeState, routingKey: string): QueueState[] {
    const seen = new Set<string>()
    const out: QueueState[] = []
    const words = e.type === 'topic' ? splitWords(routingKey) : []
    for (const b of e.bindings) {
      if (seen.has(b.queue)) continue
      const match = e.type === 'fanout' || (e.type === 'direct' ? b.key === routingKey : topicMatches(b.words, words))
      if (!match) continue
      const q = this.#queues.get(b.queue)
      if (q === undefined) continue
      seen.add(b.queue)
      out.push(q)
    }
    return out
  }

  /** Enqueues at the tail; false when the queue's length limit rejects it. */
  #enqueue (q: QueueState, message: BrokerMessage): boolean {
    const { maxLength, overflow } = q.args
    if (maxLength !== undefined && overflow === 'reject-publish' && q.ready.length >= maxLength) return false
    const now = Date.now()
    q.ready.push({ seq: ++this.#seq, message, redelivered: false, expiresAt: q.args.ttlMs === undefined ? undefined : now + q.args.ttlMs })
    if (maxLength !== undefined && overflow === 'drop-head') {
      while (q.ready.length > maxLength) {
        const dropped = q.ready.shift()
        if (dropped !== undefined) this.#deadLetter(q, dropped, 'maxlen')
      }
    }
    this.#scheduleExpiry(q)
    this.#scheduleDrain(q)
    return true
  }

  /**
   * Dead-letters one message to the queue's DLX, keeping its routing key unless the queue sets one.
   * Returns false when it must stay (at-least-once and it routes nowhere).
   */
  #deadLetter (q: QueueState, s: Stored, reason: 'expired' | 'maxlen' | 'rejected'): boolean {
    const dlx = q.args.deadLetterExchange
    if (dlx === undefined) return true
    const e = this.#exchanges.get(dlx)
    const routingKey = q.args.deadLetterRoutingKey ?? s.message.routingKey
    const targets = e === undefined ? [] : this.#route(e, routingKey)
    if (targets.length === 0) return !q.args.atLeastOnce
    const headers = { ...(s.message.properties.headers ?? {}) }
    const deaths = Array.isArray(headers['x-death']) ? [...(headers['x-death'] as Array<Record<string, unknown>>)] : []
    const i = deaths.findIndex((d) => d.queue === q.name && d.reason === reason)
    const previous = i >= 0 ? deaths.splice(i, 1)[0] : undefined
    deaths.unshift({
      count: (typeof previous?.count === 'number' ? previous.count : 0) + 1,
      reason,
      queue: q.name,
      time: Math.floor(Date.now() / 1000),
      exchange: s.message.exchange,
      'routing-keys': [s.message.routingKey],
    })
    headers['x-death'] = deaths
    if (headers['x-first-death-reason'] === undefined) {
      headers['x-first-death-reason'] = reason
      headers['x-first-death-queue'] = q.name
      headers['x-first-death-exchange'] = s.message.exchange
    }
    const message: BrokerMessage = { exchange: dlx, routingKey, body: s.message.body, properties: { ...s.message.properties, headers } }
    for (const t of targets) this.#enqueue(t, message)
    return true
  }

  /** Dead-letters (or drops) the expired messages at the head of the queue. */
  #expire (q: QueueState): void {
    if (q.args.ttlMs === undefined) return
    const now = Date.now()
    for (;;) {
      const head = q.ready.peek()
      if (head === undefined || head.expiresAt === undefined || head.expiresAt > now) return
      if (!this.#deadLetter(q, head, 'expired')) {
        // At-least-once and nowhere to go: keep it and try again later, as RabbitMQ's dead-letter worker does.
        q.retryDeadLetterAt = now + DEAD_LETTER_RETRY_MS
        return
      }
      q.ready.shift()
    }
  }

  #scheduleExpiry (q: QueueState): void {
    if (q.args.ttlMs === undefined || q.ttlTimer !== undefined || q.deleted || this.#closed) return
    const head = q.ready.peek()
    if (head?.expiresAt === undefined) return
    const at = Math.max(head.expiresAt, q.retryDeadLetterAt ?? 0)
    q.ttlTimer = setTimeout(() => {
      q.ttlTimer = undefined
      q.retryDeadLetterAt = undefined
      if (q.deleted || this.#closed) return
      this.#expire(q)
      this.#scheduleExpiry(q)
    }, Math.max(0, at - Date.now()))
    q.ttlTimer.unref()
  }

  #scheduleDrain (q: QueueState): void {
    if (q.drain !== undefined || q.consumers.length === 0 || q.deleted || this.#closed) return
    q.drain = setImmediate(() => {
      q.drain = undefined
      this.#drain(q)
    })
  }

  /** Hands ready messages to consumers with room, round robin (or the single active one). */
  #drain (q: QueueState): void {
    if (q.deleted || this.#closed) return
    this.#expire(q)
    for (;;) {
      if (q.ready.length === 0) break
      const c = this.#nextConsumer(q)
      if (c === undefined) break
      const s = q.ready.shift()
      if (s === undefined) break
      const tag = c.channel.nextDeliveryTag()
      if (!c.noAck) {
        c.unacked++
        c.channel.track(tag, { queue: q, stored: s, consumer: c })
      }
      const delivery: BrokerDelivery = { ...s.message, consumerTag: c.tag, deliveryTag: tag, redelivered: s.redelivered }
      this.#call(() => c.onMessage(delivery))
    }
    this.#scheduleExpiry(q)
  }

  #nextConsumer (q: QueueState): ConsumerState | undefined {
    const hasRoom = (c: ConsumerState): boolean => c.noAck || c.prefetch === 0 || c.unacked < c.prefetch
    if (q.args.singleActiveConsumer) {
      const active = q.consumers[0]
      return active !== undefined && hasRoom(active) ? active : undefined
    }
    const n = q.consumers.length
    for (let i = 0; i < n; i++) {
      const c = q.consumers[(q.nextConsumer + i) % n]
      if (c !== undefined && hasRoom(c)) {
        q.nextConsumer = (q.nextConsumer + i + 1) % n
        return c
      }
    }
    return undefined
  }

  #consume (ch: BrokerChannel, queue: string, onMessage: (d: BrokerDelivery) => void, options: ConsumeOptions): string {
    this.#open()
    const q = this.#queue(queue)
    const prefetch = options.prefetch ?? 0
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new RangeError(`prefetch must be a non-negative integer, got ${prefetch}`)
    const tag = `ctag-${++this.#seq}`
    const c: ConsumerState = {
      tag,
      channel: ch,
      queue: q,
      onMessage,
      onCancel: options.onCancel,
      prefetch,
      noAck: options.noAck === true,
      unacked: 0,
    }
    q.consumers.push(c)
    q.hadConsumer = true
    this.#scheduleDrain(q)
    return tag
  }

  #cancel (ch: BrokerChannel, tag: string): void {
    for (const q of this.#queues.values()) {
      const i = q.consumers.findIndex((c) => c.tag === tag && c.channel === ch)
      if (i < 0) continue
      q.consumers.splice(i, 1)
      if (q.autoDelete && q.hadConsumer && q.consumers.length === 0) this.deleteQueue(q.name)
      else this.#scheduleDrain(q)
      return
    }
  }

  #settle (_ch: BrokerChannel, tracked: Tracked, how: 'ack' | 'requeue' | 'reject'): void {
    const { queue: q, stored: s, consumer: c } = tracked
    c.unacked = Math.max(0, c.unacked - 1)
    if (q.deleted || this.#closed) return
    if (how === 'requeue') {
      s.redelivered = true
      q.ready.insertBySeq(s)
    } else if (how === 'reject') {
      this.#deadLetter(q, s, 'rejected')
    }
    this.#scheduleExpiry(q)
    this.#scheduleDrain(q)
  }

  #call (f: () => void): void {
    try {
      f()
    } catch (err) {
      this.#onCallbackError(err)
    }
  }
}

export type ExchangeType = 'direct' | 'topic' | 'fanout'

export interface MessageProperties {
  readonly messageId?: string
  readonly contentType?: string
  readonly persistent?: boolean
  readonly headers?: Readonly<Record<string, unknown>>
}

export interface BrokerMessage {
  readonly exchange: string
  readonly routingKey: string
  readonly body: Buffer
  readonly properties: MessageProperties
}

export interface BrokerDelivery extends BrokerMessage {
  readonly consumerTag: string
  readonly deliveryTag: number
  readonly redelivered: boolean
}

export type PublishResult = 'routed' | 'unroutable' | 'rejected'

export interface QueueOptions {
  readonly durable?: boolean
  readonly exclusive?: boolean
  readonly autoDelete?: boolean
  readonly arguments?: Readonly<Record<string, unknown>>
}

export interface ConsumeOptions {
  /** Unacknowledged deliveries at most; 0 is unlimited. @default 0 */
  readonly prefetch?: number
  /** Deliveries count as acknowledged when made. @default false */
  readonly noAck?: boolean
  /** Called when the broker cancels the consumer (its queue was deleted). */
  readonly onCancel?: (() => void) | undefined
}

export type BrokerErrorCode = 'NOT_FOUND' | 'PRECONDITION_FAILED' | 'RESOURCE_LOCKED' | 'NOT_IMPLEMENTED' | 'CLOSED'

/** A broker refusal, named after the AMQP reply it stands for. */
export class BrokerError extends Error {
  override name = 'BrokerError'
  readonly code: BrokerErrorCode
  constructor (code: BrokerErrorCode, message: string) {
    super(`${code} - ${message}`)
    this.code = code
  }
}

interface ChannelOps {
  consume (ch: BrokerChannel, queue: string, onMessage: (d: BrokerDelivery) => void, options: ConsumeOptions): string
  cancel (ch: BrokerChannel, tag: string): void
  settle (ch: BrokerChannel, tracked: Tracked, how: 'ack' | 'requeue' | 'reject'): void
}

/**
 * A channel of `InProcessBroker`: its consumers' delivery tags, unacknowledged deliveries and exclusive
 * queues belong to it. Also a `TopologyChannel`, so `assertTopology` declares through it.
 */
export class BrokerChannel implements TopologyChannel {
  readonly #broker: InProcessBroker
  readonly #ops: ChannelOps
  readonly #unacked = new Map<number, Tracked>()
  readonly #consumers = new Set<string>()
  readonly #exclusive = new Set<string>()
  #nextTag = 0
  #open = true

  constructor (broker: InProcessBroker, ops: ChannelOps) {
    this.#broker = broker
    this.#ops = ops
  }

  get isOpen (): boolean {
    return this.#open && !this.#broker.isClosed
  }

  /** Starts a consumer; returns its tag. */
  consume (queue: string, onMessage: (d: BrokerDelivery) => void, options: ConsumeOptions = {}): string {
    this.#check()
    const tag = this.#ops.consume(this, queue, onMessage, options)
    this.#consumers.add(tag)
    return tag
  }

  /** Stops a consumer's deliveries; its unacknowledged ones stay settleable. Unknown tag: no-op. */
  cancel (consumerTag: string): void {
    if (!this.#consumers.delete(consumerTag)) return
    this.#ops.cancel(this, consumerTag)
  }

  ack (deliveryTag: number): void {
    this.#ops.settle(this, this.#take(deliveryTag), 'ack')
  }

  /** Negative acknowledgement: back to its original position (`requeue`), or dead-lettered as `rejected`. */
  nack (deliveryTag: number, requeue: boolean): void {
    this.#ops.settle(this, this.#take(deliveryTag), requeue ? 'requeue' : 'reject')
  }

  /** Cancels its consumers, requeues its unacknowledged deliveries in their original order, deletes its exclusive queues. */
  close (): void {
    if (!this.#open) return
    this.#open = false
    if (this.#broker.isClosed) return
    for (const tag of [...this.#consumers]) this.cancel(tag)
    for (const t of [...this.#unacked.values()].sort((a, b) => a.stored.seq - b.stored.seq)) this.#ops.settle(this, t, 'requeue')
    this.#unacked.clear()
    for (const q of this.#exclusive) this.#broker.deleteQueue(q)
  }

  async assertExchange (name: string, type: string): Promise<void> {
    this.#check()
    this.#broker.declareExchange(name, type as ExchangeType)
  }

  async assertQueue (name: string, options: QueueOptions): Promise<void> {
    this.#check()
    this.#broker.declareQueue(name, options, this)
  }

  async bindQueue (queue: string, exchange: string, routingKey: string): Promise<void> {
    this.#check()
    this.#broker.bind(queue, exchange, routingKey)
  }

  /** Declares a queue from its topology spec, owned by this channel when exclusive. */
  declareQueue (spec: QueueSpec): void {
    this.#check()
    this.#broker.declareQueue(spec.name, spec, this)
  }

  /** @internal */
  nextDeliveryTag (): number {
    return ++this.#nextTag
  }

  /** @internal */
  track (tag: number, t: Tracked): void {
    this.#unacked.set(tag, t)
  }

  /** @internal The broker cancelled this consumer (its queue is gone). */
  forgetConsumer (tag: string): void {
    this.#consumers.delete(tag)
  }

  /** @internal */
  ownQueue (name: string): void {
    this.#exclusive.add(name)
  }

  #check (): void {
    if (!this.isOpen) throw new BrokerError('CLOSED', 'the channel is closed')
  }

  #take (deliveryTag: number): Tracked {
    this.#check()
    const t = this.#unacked.get(deliveryTag)
    if (t === undefined) throw new BrokerError('PRECONDITION_FAILED', `unknown delivery tag ${deliveryTag}`)
    this.#unacked.delete(deliveryTag)
    return t
  }
}

const DEAD_LETTER_RETRY_MS = 1_000

interface ExchangeState {
  readonly name: string
  readonly type: ExchangeType
  bindings: Array<{ readonly queue: string, readonly key: string, readonly words: readonly string[] }>
}

interface Stored {
  readonly seq: number
  readonly message: BrokerMessage
  redelivered: boolean
  readonly expiresAt: number | undefined
}

interface ConsumerState {
  readonly tag: string
  readonly channel: BrokerChannel
  readonly queue: QueueState
  readonly onMessage: (d: BrokerDelivery) => void
  readonly onCancel: (() => void) | undefined
  readonly prefetch: number
  readonly noAck: boolean
  unacked: number
}

interface Tracked {
  readonly queue: QueueState
  readonly stored: Stored
  readonly consumer: ConsumerState
}

interface QueueArgs {
  readonly ttlMs: number | undefined
  readonly deadLetterExchange: string | undefined
  readonly deadLetterRoutingKey: string | undefined
  readonly atLeastOnce: boolean
  readonly maxLength: number | undefined
  readonly overflow: 'drop-head' | 'reject-publish'
  readonly singleActiveConsumer: boolean
}

class QueueState {
  readonly name: string
  readonly durable: boolean
  readonly exclusive: boolean
  readonly autoDelete: boolean
  readonly rawArgs: Readonly<Record<string, unknown>>
  readonly args: QueueArgs
  readonly owner: BrokerChannel | undefined
  readonly ready = new SeqQueue()
  consumers: ConsumerState[] = []
  nextConsumer = 0
  hadConsumer = false
  deleted = false
  drain: NodeJS.Immediate | undefined
  ttlTimer: NodeJS.Timeout | undefined
  retryDeadLetterAt: number | undefined

  constructor (name: string, o: { durable: boolean, exclusive: boolean, autoDelete: boolean, rawArgs: Record<string, unknown>, owner: BrokerChannel | undefined }) {
    this.name = name
    this.durable = o.durable
    this.exclusive = o.exclusive
    this.autoDelete = o.autoDelete
    this.rawArgs = o.rawArgs
    this.owner = o.owner
    this.args = parseArgs(name, o.rawArgs)
  }

  clearTimers (): void {
    if (this.drain !== undefined) clearImmediate(this.drain)
    if (this.ttlTimer !== undefined) clearTimeout(this.ttlTimer)
    this.drain = undefined
    this.ttlTimer = undefined
  }
}

function parseArgs (queue: string, a: Readonly<Record<string, unknown>>): QueueArgs {
  const num = (k: string): number | undefined => {
    const v = a[k]
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new BrokerError('PRECONDITION_FAILED', `queue '${queue}': ${k} must be a non-negative integer`)
    return v
  }
  const str = (k: string): string | undefined => {
    const v = a[k]
    if (v === undefined) return undefined
    if (typeof v !== 'string') throw new BrokerError('PRECONDITION_FAILED', `queue '${queue}': ${k} must be a string`)
    return v
  }
  const overflow = str('x-overflow') ?? 'drop-head'
  if (overflow !== 'drop-head' && overflow !== 'reject-publish') throw new BrokerError('NOT_IMPLEMENTED', `queue '${queue}': x-overflow '${overflow}'`)
  const strategy = str('x-dead-letter-strategy') ?? 'at-most-once'
  return {
    ttlMs: num('x-message-ttl'),
    deadLetterExchange: str('x-dead-letter-exchange'),
    deadLetterRoutingKey: str('x-dead-letter-routing-key'),
    // As in RabbitMQ, at-least-once needs reject-publish; otherwise it falls back to at-most-once.
    atLeastOnce: strategy === 'at-least-once' && overflow === 'reject-publish',
    maxLength: num('x-max-length'),
    overflow,
    singleActiveConsumer: a['x-single-active-consumer'] === true,
  }
}

function sameArguments (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k])
}

/** Words of a routing key or binding pattern; the empty key has none. */
function splitWords (key: string): string[] {
  return key === '' ? [] : key.split('.')
}

/** AMQP topic matching: `*` is exactly one word, `#` zero or more. */
export function topicMatches (pattern: readonly string[], key: readonly string[]): boolean {
  const memo = new Map<number, boolean>()
  const width = key.length + 1
  const m = (i: number, j: number): boolean => {
    const id = i * width + j
    const known = memo.get(id)
    if (known !== undefined) return known
    let r: boolean
    if (i === pattern.length) r = j === key.length
    else if (pattern[i] === '#') r = m(i + 1, j) || (j < key.length && m(i, j + 1))
    else r = j < key.length && (pattern[i] === '*' || pattern[i] === key[j]) && m(i + 1, j + 1)
    memo.set(id, r)
    return r
  }
  return m(0, 0)
}

/** A FIFO of stored messages with O(1) push/shift, and insertion by sequence for requeues. */
class SeqQueue {
  #items: Stored[] = []
  #head = 0

  get length (): number {
    return this.#items.length - this.#head
  }

  peek (): Stored | undefined {
    return this.#items[this.#head]
  }

  push (s: Stored): void {
    this.#items.push(s)
  }

  shift (): Stored | undefined {
    if (this.#head >= this.#items.length) return undefined
    const s = this.#items[this.#head]
    this.#items[this.#head] = undefined as unknown as Stored
    this.#head++
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return s
  }

  /** Puts a message back where its sequence number says: ahead of everything enqueued after it. */
  insertBySeq (s: Stored): void {
    let lo = this.#head
    let hi = this.#items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#items[mid] as Stored).seq < s.seq) lo = mid + 1
      else hi = mid
    }
    if (lo === this.#head && this.#head > 0) {
      this.#head--
      this.#items[this.#head] = s
    } else {
      this.#items.splice(lo, 0, s)
    }
  }
}
