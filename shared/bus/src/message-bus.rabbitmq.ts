import amqp from 'amqp-connection-manager'
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager'
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib'
import type { Logger } from '@chat/observability'
import type { InboundMessage } from '@chat/schemas'
import {
  DEAD_LETTER_QUEUE, DEFAULT_TOPOLOGY_OPTIONS, ExchangeName, assertQueueSpec, assertTopology, buildTopology,
  edgeQueueSpec, shardOf, shardQueueName,
} from '@chat/topology'
import type { Topology, TopologyOptions } from '@chat/topology'
import { ConfirmPublisher } from './amqp-confirm-publisher.js'
import { ManagedChannel } from './amqp-managed-channel.js'
import type { BusLogger } from './bus-logger.js'
import { resolveConsumerOptions } from './consumer-options.js'
import { edgeBindingKey, edgeDeliveriesOf } from './edge-routing.js'
import { deliveryEnvelopes, eventEnvelope, inboundEnvelope, inboundPackEnvelope } from './envelopes.js'
import { INBOUND_PACK_CONTENT_TYPE, unpackInbound } from './delivery-pack.js'
import type { Envelope } from './envelopes.js'
import { BusErrorCode, BusRejectedError, BusUnavailableError, closedError } from './errors.js'
import type {
  BusEvent, DeadLetter, EdgeDelivery, EdgeQueue, EdgeTopic, InboundConsumer, InboundConsumerOptions,
  InboundHandler, MessageBus, StoredDelivery,
} from './message-bus.js'
import { deadLetterOf } from './outcome-plan.js'
import { ShardConsumer } from './shard-consumer.js'
import type { CopyPublisher } from './shard-consumer.js'
import { pickTopology } from './topology-subset.js'

export interface RabbitMessageBusOptions {
  /** AMQP 0-9-1 URL, with the virtual host as path: `amqp://user:pass@host:5672/vhost`. */
  readonly url: string
  /** Where connection events and failures are logged (pino). */
  readonly log: Logger
  /** Shard count and retry delays; every process of a deployment must agree. @default DEFAULT_TOPOLOGY_OPTIONS */
  readonly topology?: TopologyOptions
  /**
   * Publishes that may wait for a confirm or for the connection, per confirm channel (inbound,
   * deliveries, retry copies). One more is refused at once with BusUnavailableError BUFFER_FULL, so
   * memory stays bounded while RabbitMQ is away. @default 10_000
   */
  readonly publishBufferSize?: number
  /**
   * Milliseconds from a publish to its confirm before it rejects with BusUnavailableError TIMEOUT
   * (it is then dropped, never sent later). Also bounds `EdgeQueue.bind` and `takeDeadLetters` while
   * disconnected. @default 5_000
   */
  readonly publishTimeoutMs?: number
  /** AMQP heartbeat in seconds: a dead connection is noticed after about two of them. 0 disables. @default 5 */
  readonly heartbeatSeconds?: number
  /** The connection's name in the management UI and API (client property `connection_name`). @default 'chat' */
  readonly connectionName?: string
  /**
   * Milliseconds between reconnect attempts, and the first wait before re-opening a channel the
   * broker closed (doubling up to 30 s). @default 1_000
   */
  readonly reconnectDelayMs?: number
  /**
   * Milliseconds `connect()` waits for the broker and the topology's declaration before it rejects
   * with BusUnavailableError UNAVAILABLE. 0 returns at once and connects in the background (publishes
   * wait within their bounds meanwhile). @default 10_000
   */
  readonly connectTimeoutMs?: number
}

/** A delay before a forced reconnect is repeated, so a persistent channel error cannot spin. */
const FORCED_RECONNECT_GAP_MS = 5_000

interface Deferred {
  readonly promise: Promise<void>
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
  settled: boolean
}

function deferred (): Deferred {
  let resolvePromise!: () => void
  let rejectPromise!: (err: unknown) => void
  const promise = new Promise<void>((resolve, reject) => { resolvePromise = resolve; rejectPromise = reject })
  promise.catch(() => {})
  const d: Deferred = {
    promise,
    resolve: () => { d.settled = true; resolvePromise() },
    reject: (err) => { d.settled = true; rejectPromise(err) },
    settled: false,
  }
  return d
}

/** AMQP reply codes that mean the declared topology and the broker disagree, or access is denied. */
function isRefusal (err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code
  return code === 403 || code === 404 || code === 405 || code === 406 || code === 530
}

/**
 * The `MessageBus` on RabbitMQ (docs/rabbitmq.md), for the split deployment: one connection per
 * process (amqp-connection-manager reconnects it), a channel per role, each re-declaring what it needs
 * on every (re)connect:
 *
 * | role | channel | declares |
 * | --- | --- | --- |
 * | `publishInbound` | confirm (ChannelWrapper) | the whole durable topology |
 * | `publishDeliveries` | confirm (ChannelWrapper) | `chat.deliver` |
 * | retry and dead-letter copies | confirm (ChannelWrapper), from the first `consumeInbound` | the whole durable topology |
 * | `publishEvent` | plain | `chat.deliver` |
 * | each shard's consumer | plain, prefetch per consumer | its shard queue, `chat.dlx`, `chat.dlq` |
 * | each edge queue | plain, no-ack consumer | `chat.deliver`, the edge queue and its bindings |
 * | `takeDeadLetters` | plain, from its first call | `chat.dlx`, `chat.dlq` |
 *
 * Confirm channels that the broker closes while the connection lives make the whole connection
 * reconnect (ChannelWrapper only re-opens channels on a new connection); the other roles re-open just
 * their channel.
 */
/** Inbound messages packed into one AMQP message at most (beyond it a pack is sent at once). */
const MAX_INBOUND_PACK = 128

interface PackedPublish {
  readonly message: InboundMessage
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

export class RabbitMessageBus implements MessageBus {
  readonly #log: BusLogger
  readonly #manager: AmqpConnectionManager
  readonly #topologyOptions: TopologyOptions
  readonly #topology: Topology
  readonly #bufferSize: number
  readonly #timeoutMs: number
  readonly #retryDelayMs: number
  readonly #inbound: ConfirmRole
  readonly #deliveries: ConfirmRole
  readonly #events: ManagedChannel
  readonly #edgeQueues = new Set<RabbitEdgeQueue>()
  /** Inbound publishes of this event-loop turn, per shard, waiting to be packed. */
  readonly #packing = new Map<number, PackedPublish[]>()
  #packTimer: NodeJS.Immediate | undefined
  /** Messages in `#packing`. */
  #packedCount = 0
  readonly #refused = deferred()
  #copies: ConfirmRole | undefined
  #deadLetters: ManagedChannel | undefined
  #consumer: RabbitInboundConsumer | undefined
  #closed = false
  #closing: Promise<void> | undefined
  #lastForcedReconnect = 0
  #forcedReconnect: NodeJS.Timeout | undefined

  /** Connects and declares the topology; see `RabbitMessageBusOptions.connectTimeoutMs`. */
  static async connect (options: RabbitMessageBusOptions): Promise<RabbitMessageBus> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RangeError(`connectTimeoutMs must be >= 0, got ${timeoutMs}`)
    const bus = new RabbitMessageBus(options)
    if (timeoutMs === 0) return bus
    try {
      await bus.#started(timeoutMs)
    } catch (err) {
      await bus.close()
      throw err
    }
    return bus
  }

  private constructor (options: RabbitMessageBusOptions) {
    const heartbeatSeconds = options.heartbeatSeconds ?? 5
    this.#bufferSize = options.publishBufferSize ?? 10_000
    this.#timeoutMs = options.publishTimeoutMs ?? 5_000
    this.#retryDelayMs = options.reconnectDelayMs ?? 1_000
    if (!Number.isInteger(this.#bufferSize) || this.#bufferSize < 1) throw new RangeError(`publishBufferSize must be a positive integer, got ${this.#bufferSize}`)
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0) throw new RangeError(`publishTimeoutMs must be positive, got ${this.#timeoutMs}`)
    if (!Number.isFinite(this.#retryDelayMs) || this.#retryDelayMs <= 0) throw new RangeError(`reconnectDelayMs must be positive, got ${this.#retryDelayMs}`)
    if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 0) throw new RangeError(`heartbeatSeconds must be a non-negative integer, got ${heartbeatSeconds}`)
    this.#log = options.log
    this.#topologyOptions = options.topology ?? DEFAULT_TOPOLOGY_OPTIONS
    this.#topology = buildTopology(this.#topologyOptions)
    const connectionName = options.connectionName ?? 'chat'

    this.#manager = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: heartbeatSeconds,
      reconnectTimeInSeconds: this.#retryDelayMs / 1000,
      // Without TCP_NODELAY a small write (a publish, an ack) waits while the previous one is unacknowledged, and
      // the broker delays its ACK up to 40 ms when it has nothing to send back: at tens of messages a second that
      // adds tens of ms to a message's trip. (RabbitMQ sets nodelay on its own side by default.)
      connectionOptions: { noDelay: true, clientProperties: { connection_name: connectionName } },
    })
    this.#manager.on('connect', () => this.#log.info({ connectionName }, 'rabbitmq connected'))
    this.#manager.on('disconnect', ({ err }) => {
      if (!this.#closed) this.#log.warn({ err, connectionName }, 'rabbitmq connection lost; reconnecting')
    })
    this.#manager.on('connectFailed', ({ err }) => {
      if (this.#closed) return
      const text = err instanceof Error ? err.message : String(err)
      // Bad credentials (403), or a virtual host that is missing or not allowed (amqplib reports the
      // broker's connection.close during the open as "Expected ConnectionOpenOk").
      if (/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b|Expected ConnectionOpenOk/.test(text)) {
        this.#refused.reject(new BusRejectedError(BusErrorCode.ACCESS_REFUSED, `RabbitMQ refused the connection: ${text}`, { cause: err }))
      }
      this.#log.warn({ err, connectionName }, 'rabbitmq connect failed; retrying')
    })
    this.#manager.on('blocked', ({ reason }) => this.#log.warn({ reason, connectionName }, 'rabbitmq blocked publishing'))
    this.#manager.on('unblocked', () => this.#log.info({ connectionName }, 'rabbitmq unblocked publishing'))

    this.#inbound = this.#confirmRole('inbound', this.#topology)
    this.#deliveries = this.#confirmRole('deliveries', pickTopology(this.#topology, { exchanges: [ExchangeName.DELIVER], queues: [] }))
    this.#events = new ManagedChannel({
      name: 'events',
      manager: this.#manager,
      log: this.#log,
      retryDelayMs: this.#retryDelayMs,
      setup: (ch) => assertTopology(ch, pickTopology(this.#topology, { exchanges: [ExchangeName.DELIVER], queues: [] })),
    })
  }

  /**
   * Messages published in one turn of the event loop are packed per shard (`inboundPackEnvelope`): one
   * AMQP message, stored and confirmed once, for them all. Each caller's promise settles with its pack.
   */
  async publishInbound (message: InboundMessage): Promise<void> {
    if (this.#closed) throw closedError()
    const shard = shardOf(message.roomId, this.#topologyOptions.shards)
    // The buffer bound counts messages, whether waiting for their pack or for a confirm.
    if (this.#inbound.publisher.outstanding + this.#packedCount >= this.#bufferSize) {
      throw new BusUnavailableError(BusErrorCode.BUFFER_FULL,
        `${this.#inbound.publisher.outstanding + this.#packedCount} messages already wait for RabbitMQ (publishBufferSize ${this.#bufferSize})`)
    }
    this.#packedCount++
    await new Promise<void>((resolve, reject) => {
      let list = this.#packing.get(shard)
      if (list === undefined) {
        list = []
        this.#packing.set(shard, list)
      }
      list.push({ message, resolve, reject })
      if (list.length >= MAX_INBOUND_PACK) this.#flushInbound(shard)
      else {
        this.#packTimer ??= setImmediate(() => {
          this.#packTimer = undefined
          for (const k of [...this.#packing.keys()]) this.#flushInbound(k)
        })
      }
    })
  }

  #flushInbound (shard: number): void {
    const list = this.#packing.get(shard)
    if (list === undefined || list.length === 0) return
    this.#packing.delete(shard)
    this.#packedCount -= list.length
    const shards = this.#topologyOptions.shards
    const envelope = list.length === 1
      ? inboundEnvelope((list[0] as PackedPublish).message, shards)
      : inboundPackEnvelope(list.map((p) => p.message), shard)
    this.#publishConfirmed(this.#inbound, envelope, true, list.length).then(() => {
      for (const p of list) p.resolve()
    }, (err: unknown) => {
      for (const p of list) p.reject(err as Error)
    })
  }

  async consumeInbound (handler: InboundHandler, options: InboundConsumerOptions = {}): Promise<InboundConsumer> {
    if (this.#closed) throw closedError()
    if (this.#consumer !== undefined) throw new BusRejectedError(BusErrorCode.ALREADY_CONSUMING, 'this bus already has an open inbound consumer')
    const { prefetch, maxAttempts } = resolveConsumerOptions(options)
    this.#copies ??= this.#confirmRole('copies', this.#topology)
    const copies = this.#copies
    const publisher: CopyPublisher = {
      publishCopy: (exchange, routingKey, body, properties) => this.#publishConfirmed(copies, { exchange, routingKey, body, properties }, true),
    }
    const consumer: RabbitInboundConsumer = new RabbitInboundConsumer({
      manager: this.#manager,
      log: this.#log,
      topology: this.#topology,
      shards: this.#topologyOptions.shards,
      prefetch,
      retryDelayMs: this.#retryDelayMs,
      create: (shard) => new ShardConsumer({
        shard, handler, publisher, log: this.#log, policy: { maxAttempts, retryDelaysMs: this.#topologyOptions.retryDelaysMs },
      }),
      onClose: () => { if (this.#consumer === consumer) this.#consumer = undefined },
    })
    this.#consumer = consumer
    // Consuming on every shard before resolving makes "publish, then consume" deterministic; while
    // disconnected it starts on connect instead.
    await consumer.ready(this.#timeoutMs).catch((err: unknown) => {
      this.#log.warn({ err }, 'inbound consumer not ready yet; it starts consuming once connected')
    })
    return consumer
  }

  async publishDeliveries (deliveries: readonly StoredDelivery[]): Promise<void> {
    if (this.#closed) throw closedError()
    await Promise.all(deliveryEnvelopes(deliveries).map((e) => this.#publishConfirmed(this.#deliveries, e, false)))
  }

  async publishEvent (event: BusEvent): Promise<void> {
    if (this.#closed) throw closedError()
    const ch = this.#events.channel
    const e = eventEnvelope(event)
    if (ch === undefined) {
      this.#log.debug({ routingKey: e.routingKey }, 'event dropped: not connected')
      return
    }
    try {
      ch.publish(e.exchange, e.routingKey, e.body, { ...e.properties, headers: { ...e.properties.headers } })
    } catch (err) {
      this.#log.debug({ err, routingKey: e.routingKey }, 'event dropped: channel closing')
    }
  }

  async openEdgeQueue (instanceId: string, onDelivery: (delivery: EdgeDelivery) => void): Promise<EdgeQueue> {
    if (this.#closed) throw closedError()
    const q: RabbitEdgeQueue = new RabbitEdgeQueue({
      instanceId,
      onDelivery,
      manager: this.#manager,
      log: this.#log,
      timeoutMs: this.#timeoutMs,
      retryDelayMs: this.#retryDelayMs,
      onClosed: () => this.#edgeQueues.delete(q),
    })
    this.#edgeQueues.add(q)
    try {
      await q.ready()
    } catch (err) {
      await q.close()
      throw err
    }
    return q
  }

  async takeDeadLetters (max: number): Promise<readonly DeadLetter[]> {
    if (this.#closed) throw closedError()
    this.#deadLetters ??= new ManagedChannel({
      name: 'dead-letters',
      manager: this.#manager,
      log: this.#log,
      retryDelayMs: this.#retryDelayMs,
      setup: (ch) => assertTopology(ch, pickTopology(this.#topology, { exchanges: [ExchangeName.DEAD_LETTER], queues: [DEAD_LETTER_QUEUE] })),
    })
    const ch = await this.#deadLetters.ready(this.#timeoutMs)
    const out: DeadLetter[] = []
    try {
      while (out.length < max) {
        const m = await ch.get(DEAD_LETTER_QUEUE, { noAck: false })
        if (m === false) break
        out.push(deadLetterOf(m.content, m.properties.headers as Record<string, unknown> | undefined))
        ch.ack(m)
      }
    } catch (err) {
      if (this.#closed) throw closedError()
      // Taken but unacknowledged ones go back to the queue with the channel.
      throw new BusUnavailableError(BusErrorCode.UNAVAILABLE, 'the channel closed while taking dead letters', { cause: err })
    }
    return out
  }

  isConnected (): boolean {
    return !this.#closed && this.#manager.isConnected()
  }

  close (): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close (): Promise<void> {
    this.#closed = true
    if (this.#packTimer !== undefined) clearImmediate(this.#packTimer)
    for (const list of this.#packing.values()) for (const p of list) p.reject(closedError())
    this.#packing.clear()
    this.#packedCount = 0
    if (this.#forcedReconnect !== undefined) clearTimeout(this.#forcedReconnect)
    // Consumers first: their unacknowledged deliveries go back to the queues, and retry copies still
    // awaiting a confirm are dropped with them (the broker redelivers the originals).
    await this.#consumer?.close()
    for (const role of [this.#inbound, this.#deliveries, this.#copies]) role?.publisher.close()
    await Promise.all([...this.#edgeQueues].map((q) => q.close()))
    await this.#events.close()
    await this.#deadLetters?.close()
    // Closes the ChannelWrappers (rejecting what they still hold) and the connection.
    await this.#manager.close()
  }

  /** Waits for the connection and the publishers' first declaration. */
  async #started (timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new BusUnavailableError(BusErrorCode.UNAVAILABLE,
        `RabbitMQ did not answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      await Promise.race([
        Promise.all([this.#inbound.ready.promise, this.#deliveries.ready.promise, this.#events.ready(timeoutMs)]),
        this.#refused.promise,
        timeout,
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  #publishConfirmed (role: ConfirmRole, e: Envelope, mandatory: boolean, weight = 1): Promise<void> {
    if (this.#closed) return Promise.reject(closedError())
    return role.publisher.publish(e.exchange, e.routingKey, e.body, { ...e.properties, mandatory }, weight)
  }

  /** A confirm channel (ChannelWrapper: it queues while disconnected) that declares `topology` on every connect. */
  #confirmRole (name: string, topology: Topology): ConfirmRole {
    const ready = deferred()
    const publisher = new ConfirmPublisher({
      bufferSize: this.#bufferSize,
      timeoutMs: this.#timeoutMs,
      createWrapper: (attach) => {
        const wrapper: ChannelWrapper = this.#manager.createChannel({
          name,
          confirm: true,
          setup: async (ch: ConfirmChannel) => {
            attach(ch)
            this.#watchConfirmChannel(ch, name)
            await assertTopology(ch, topology)
            ready.resolve()
          },
        })
        wrapper.on('error', (err: unknown) => {
          if (this.#closed) return
          this.#log.error({ err, channel: name }, 'rabbitmq channel setup failed')
          if (!ready.settled && isRefusal(err)) {
            ready.reject(new BusRejectedError(BusErrorCode.TOPOLOGY_MISMATCH,
              `declaring the topology failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }))
          }
        })
        return wrapper
      },
    })
    return { publisher, ready }
  }

  /**
   * ChannelWrapper re-opens its channel only on a new connection. When the broker closes just the
   * channel (e.g. a declaration mismatch, a deleted exchange), force a reconnect so publishing resumes.
   */
  #watchConfirmChannel (ch: Channel, name: string): void {
    const connection = this.#manager.connection
    ch.on('close', () => {
      setImmediate(() => {
        if (this.#closed || connection === undefined || this.#manager.connection !== connection) return
        this.#log.error({ channel: name }, 'rabbitmq closed a publisher channel; reconnecting')
        this.#forceReconnect()
      })
    })
  }

  #forceReconnect (): void {
    if (this.#forcedReconnect !== undefined || this.#closed) return
    const waitMs = Math.max(0, this.#lastForcedReconnect + FORCED_RECONNECT_GAP_MS - Date.now())
    this.#forcedReconnect = setTimeout(() => {
      this.#forcedReconnect = undefined
      if (this.#closed) return
      this.#lastForcedReconnect = Date.now()
      this.#manager.reconnect()
    }, waitMs)
    this.#forcedReconnect.unref()
  }
}

interface ConfirmRole {
  readonly publisher: ConfirmPublisher
  /** Resolves after the first successful declaration; rejects if the topology is refused. */
  readonly ready: Deferred
}

interface RabbitInboundConsumerOptions {
  readonly manager: AmqpConnectionManager
  readonly log: BusLogger
  readonly topology: Topology
  readonly shards: number
  readonly prefetch: number
  readonly retryDelayMs: number
  readonly create: (shard: number) => ShardConsumer
  readonly onClose: () => void
}

class RabbitInboundConsumer implements InboundConsumer {
  readonly #shards: RabbitShard[] = []
  readonly #onClose: () => void
  #closed = false

  constructor (o: RabbitInboundConsumerOptions) {
    this.#onClose = o.onClose
    for (let k = 0; k < o.shards; k++) this.#shards.push(new RabbitShard(k, o))
  }

  /** Resolves once every shard consumes (or is paused); rejects after `timeoutMs`. */
  async ready (timeoutMs: number): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.ready(timeoutMs)))
  }

  async pause (): Promise<void> {
    if (this.#closed) return
    await Promise.all(this.#shards.map((s) => s.pause()))
  }

  async resume (): Promise<void> {
    if (this.#closed) return
    await Promise.all(this.#shards.map((s) => s.resume()))
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all(this.#shards.map((s) => s.close()))
    this.#onClose()
  }
}

/** One shard queue: its channel, its consumer (when not paused) and the outcome rules. */
class RabbitShard {
  readonly #queue: string
  readonly #core: ShardConsumer
  readonly #channel: ManagedChannel
  readonly #log: BusLogger
  readonly #retryDelayMs: number
  readonly #topology: Topology
  #consumerTag: string | undefined
  #consumingOn: Channel | undefined
  #paused = false
  #closed = false
  /** Serialises the consume calls of setup, resume and a server cancel, so they never consume twice. */
  #lock: Promise<void> = Promise.resolve()
  #reconsume: NodeJS.Timeout | undefined

  constructor (shard: number, o: RabbitInboundConsumerOptions) {
    this.#queue = shardQueueName(shard)
    this.#core = o.create(shard)
    this.#log = o.log
    this.#retryDelayMs = o.retryDelayMs
    this.#topology = pickTopology(o.topology, {
      exchanges: [ExchangeName.INBOUND, ExchangeName.DEAD_LETTER],
      queues: [this.#queue, DEAD_LETTER_QUEUE],
    })
    this.#channel = new ManagedChannel({
      name: this.#queue,
      manager: o.manager,
      log: o.log,
      retryDelayMs: o.retryDelayMs,
      setup: async (ch) => {
        await assertTopology(ch, this.#topology)
        // Per consumer (global=false): quorum queues refuse global QoS.
        await ch.prefetch(o.prefetch, false)
        await this.#serial(async () => {
          if (!this.#paused) await this.#consume(ch)
        })
      },
      onLost: (ch) => {
        if (this.#consumingOn === ch) {
          this.#consumingOn = undefined
          this.#consumerTag = undefined
        }
        // Its delivery tags died with it: never ack them on another channel; the broker redelivers.
        this.#core.discardDead()
      },
    })
  }

  ready (timeoutMs: number): Promise<unknown> {
    return this.#channel.ready(timeoutMs)
  }

  /**
   * Stops handing deliveries to the handler, but keeps the broker consumer: cancelling it would hand
   * the shard to the next single active consumer at once, while this one still holds requeued
   * deliveries that must come before everything after them (see docs/rabbitmq.md). What the broker
   * sends meanwhile (up to the prefetch window) waits in order.
   */
  async pause (): Promise<void> {
    this.#paused = true
    this.#core.pause()
  }

  async resume (): Promise<void> {
    if (!this.#paused || this.#closed) return
    this.#paused = false
    // What waits goes first, in order; then the broker's new deliveries.
    this.#core.resume()
    // After a reconnect while paused nothing consumes yet.
    await this.#serial(async () => {
      const ch = this.#channel.channel
      if (ch !== undefined && this.#consumerTag === undefined && !this.#paused) await this.#consume(ch)
    })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#reconsume !== undefined) clearTimeout(this.#reconsume)
    this.#core.close()
    // Closing the channel returns every unacknowledged delivery to the head of the queue, in order.
    await this.#channel.close()
  }

  async #consume (ch: Channel): Promise<void> {
    if (this.#closed || !this.#channel.isLive(ch)) return
    const { consumerTag } = await ch.consume(this.#queue, (msg) => this.#onMessage(ch, msg), { noAck: false })
    this.#consumerTag = consumerTag
    this.#consumingOn = ch
  }

  #onMessage (ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted, or a 4.3+ consumer timeout): declare and consume again.
      if (this.#consumingOn === ch) {
        this.#consumingOn = undefined
        this.#consumerTag = undefined
      }
      this.#log.warn({ queue: this.#queue }, 'rabbitmq cancelled the shard consumer; consuming again')
      this.#reconsume ??= setTimeout(() => {
        this.#reconsume = undefined
        this.#serial(async () => {
          if (this.#closed || this.#paused || this.#consumerTag !== undefined || !this.#channel.isLive(ch)) return
          await assertTopology(ch, this.#topology)
          await this.#consume(ch)
        }).catch((err: unknown) => this.#log.error({ err, queue: this.#queue }, 'consuming again failed'))
      }, this.#retryDelayMs)
      return
    }
    const live = (): boolean => this.#channel.isLive(ch)
    const ackMessage = (): void => {
      if (!live()) return
      try {
        ch.ack(msg)
      } catch (err) {
        this.#log.debug({ err, queue: this.#queue }, 'ack on a closing channel dropped')
      }
    }
    const contentType = msg.properties.contentType as string | undefined
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>
    const parts = contentType === INBOUND_PACK_CONTENT_TYPE ? unpackInbound(msg.content) : undefined
    if (parts === undefined) {
      // A single message (or a pack that does not split: the handler sees it whole and rejects it).
      this.#core.receive({
        body: msg.content,
        messageId: msg.properties.messageId as string | undefined,
        contentType,
        headers,
        redelivered: msg.fields.redelivered,
        isLive: live,
        ack: ackMessage,
      })
      return
    }
    // A pack: one delivery per message, in order; the AMQP message is acked once every one of them is
    // settled (acked, or its retry copy confirmed). Until then a crash returns the whole pack, and the
    // messages already stored come back as duplicates, which the dispatcher absorbs.
    let open = parts.length
    for (const body of parts) {
      let acked = false
      this.#core.receive({
        body,
        messageId: undefined,
        contentType: 'application/json',
        headers,
        redelivered: msg.fields.redelivered,
        isLive: live,
        ack: () => {
          if (acked) return
          acked = true
          if (--open === 0) ackMessage()
        },
      })
    }
  }

  #serial (f: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(f)
    this.#lock = run.catch(() => {})
    return run
  }
}

interface RabbitEdgeQueueOptions {
  readonly instanceId: string
  readonly onDelivery: (delivery: EdgeDelivery) => void
  readonly manager: AmqpConnectionManager
  readonly log: BusLogger
  readonly timeoutMs: number
  readonly retryDelayMs: number
  readonly onClosed: () => void
}

class RabbitEdgeQueue implements EdgeQueue {
  readonly #queue: string
  readonly #channel: ManagedChannel
  readonly #bindings = new Set<string>()
  readonly #resync: Array<() => void> = []
  readonly #log: BusLogger
  readonly #timeoutMs: number
  readonly #onClosed: () => void
  readonly #onDelivery: (delivery: EdgeDelivery) => void
  #closed = false

  constructor (o: RabbitEdgeQueueOptions) {
    const spec = edgeQueueSpec(o.instanceId)
    this.#queue = spec.name
    this.#log = o.log
    this.#timeoutMs = o.timeoutMs
    this.#onClosed = o.onClosed
    this.#onDelivery = o.onDelivery
    this.#channel = new ManagedChannel({
      name: spec.name,
      manager: o.manager,
      log: o.log,
      retryDelayMs: o.retryDelayMs,
      setup: async (ch) => {
        await ch.assertExchange(ExchangeName.DELIVER, 'topic', { durable: true })
        // Exclusive: after a reconnect this may fail with RESOURCE_LOCKED until the broker has noticed
        // the old connection is dead; ManagedChannel tries again.
        await assertQueueSpec(ch, spec)
        for (const key of [...this.#bindings]) await ch.bindQueue(this.#queue, ExchangeName.DELIVER, key)
        await ch.consume(this.#queue, (msg) => this.#onMessage(ch, msg), { noAck: true })
      },
      onReady: (_ch, { isFirst }) => {
        if (isFirst) return
        this.#log.info({ queue: this.#queue, bindings: this.#bindings.size }, 'edge queue re-created; resyncing')
        for (const cb of this.#resync) {
          try {
            cb()
          } catch (err) {
            this.#log.error({ err, queue: this.#queue }, 'edge queue resync callback failed')
          }
        }
      },
    })
  }

  ready (): Promise<unknown> {
    return this.#channel.ready(this.#timeoutMs)
  }

  async bind (topic: EdgeTopic): Promise<void> {
    if (this.#closed) throw closedError()
    const key = edgeBindingKey(topic)
    const had = this.#bindings.has(key)
    this.#bindings.add(key)
    const deadline = Date.now() + this.#timeoutMs
    for (;;) {
      let ch: Channel
      try {
        ch = await this.#channel.ready(deadline - Date.now())
      } catch (err) {
        if (!had) this.#bindings.delete(key)
        throw err
      }
      try {
        await ch.bindQueue(this.#queue, ExchangeName.DELIVER, key)
        return
      } catch (err) {
        if (this.#closed) throw closedError()
        // The channel died under us; the next one binds everything in the set. Wait for it.
        this.#log.debug({ err, queue: this.#queue, key }, 'bind interrupted; waiting for the channel')
        if (Date.now() >= deadline) {
          if (!had) this.#bindings.delete(key)
          throw new BusUnavailableError(BusErrorCode.UNAVAILABLE, `binding ${key} failed`, { cause: err })
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
  }

  async unbind (topic: EdgeTopic): Promise<void> {
    if (this.#closed) return
    const key = edgeBindingKey(topic)
    this.#bindings.delete(key)
    const ch = this.#channel.channel
    if (ch === undefined) return
    // A channel that dies meanwhile takes the binding with its queue; the next one will not bind it.
    await ch.unbindQueue(this.#queue, ExchangeName.DELIVER, key).catch((err: unknown) =>
      this.#log.debug({ err, queue: this.#queue, key }, 'unbind interrupted'))
  }

  onResync (callback: () => void): void {
    this.#resync.push(callback)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const ch = this.#channel.channel
    if (ch !== undefined) await ch.deleteQueue(this.#queue).catch(() => {})
    await this.#channel.close()
    this.#onClosed()
  }

  #onMessage (ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // Cancelled by the broker (the queue was deleted): a new channel re-creates it with its bindings.
      if (this.#closed) return
      this.#log.warn({ queue: this.#queue }, 'rabbitmq cancelled the edge consumer; re-creating the queue')
      ch.close().catch(() => {})
      return
    }
    const ds = edgeDeliveriesOf(msg.fields.routingKey, msg.properties.messageId as string | undefined,
      msg.properties.headers as Record<string, unknown> | undefined, msg.properties.contentType as string | undefined, msg.content)
    if (ds.length === 0) {
      this.#log.warn({ queue: this.#queue, routingKey: msg.fields.routingKey }, 'edge delivery with an unknown routing key or a malformed pack dropped')
      return
    }
    for (const d of ds) {
      try {
        this.#onDelivery(d)
      } catch (err) {
        this.#log.error({ err, queue: this.#queue, routingKey: msg.fields.routingKey }, 'edge delivery handler failed')
      }
    }
  }
}
