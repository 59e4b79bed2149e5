import amqp from 'amqp-connection-manager'
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager'
import type { Channel, ConfirmChannel } from 'amqplib'
import type { Logger } from '@chat/observability'
import type { InboundMessage } from '@chat/schemas'
import {
  DEAD_LETTER_QUEUE, DEFAULT_TOPOLOGY_OPTIONS, ExchangeName, assertTopology, buildTopology, queueWithoutPlacement, withoutPlacement,
} from '@chat/topology'
import type { Topology, TopologyOptions } from '@chat/topology'
import { ConfirmPublisher } from './amqp-confirm-publisher.js'
import { ManagedChannel } from './amqp-managed-channel.js'
import type { BusLogger } from './bus-logger.js'
import { resolveConsumerOptions } from './consumer-options.js'
import { deferred } from './deferred.js'
import type { Deferred } from './deferred.js'
import { deliveryEnvelopes, eventEnvelope } from './envelopes.js'
import type { Envelope } from './envelopes.js'
import { BusErrorCode, BusRejectedError, BusUnavailableError, closedError } from './errors.js'
import { InboundPacker } from './inbound-packer.js'
import type {
  BusEvent, DeadLetter, EdgeDelivery, EdgeQueue, InboundConsumer, InboundConsumerOptions,
  InboundHandler, MessageBus, StoredDelivery,
} from './message-bus.js'
import { deadLetterOf } from './outcome-plan.js'
import { RabbitEdgeQueue } from './rabbit-edge-queue.js'
import { RabbitInboundConsumer } from './rabbit-inbound-consumer.js'
import { ShardConsumer } from './shard-consumer.js'
import type { CopyPublisher } from './shard-consumer.js'
import { pickTopology } from './topology-subset.js'

export interface RabbitMessageBusOptions {
  /**
   * AMQP 0-9-1 URL, with the virtual host as path: `amqp://user:pass@host:5672/vhost`; or the URLs of
   * the nodes of one cluster (same virtual host). The first connection goes to a node picked at random,
   * so processes spread over the cluster; each reconnect tries the next node of the list, round robin.
   */
  readonly url: string | readonly string[]
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
  readonly #packer: InboundPacker
  /** Quorum queues that exist without the replica placement argument (created by an earlier version). */
  readonly #unplaced = new Set<string>()
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

    const urls = typeof options.url === 'string' ? [options.url] : [...options.url]
    if (urls.length === 0) throw new RangeError('url: at least one AMQP URL')
    // Start at a random node so the processes of a deployment spread over the cluster.
    const first = Math.floor(Math.random() * urls.length)
    this.#manager = amqp.connect([...urls.slice(first), ...urls.slice(0, first)], {
      heartbeatIntervalInSeconds: heartbeatSeconds,
      reconnectTimeInSeconds: this.#retryDelayMs / 1000,
      // Without TCP_NODELAY a small write (a publish, an ack) waits while the previous one is unacknowledged, and
      // the broker delays its ACK up to 40 ms when it has nothing to send back: at tens of messages a second that
      // adds tens of ms to a message's trip. (RabbitMQ sets nodelay on its own side by default.)
      connectionOptions: { noDelay: true, clientProperties: { connection_name: connectionName } },
    })
    this.#manager.on('connect', ({ url }) => this.#log.info({ connectionName, node: nodeOf(url) }, 'rabbitmq connected'))
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
      setup: (ch) => this.#declare(ch, pickTopology(this.#topology, { exchanges: [ExchangeName.DELIVER], queues: [] })),
    })
    this.#packer = new InboundPacker({
      shards: this.#topologyOptions.shards,
      send: (envelope, count) => this.#publishConfirmed(this.#inbound, envelope, true, count),
    })
  }

  /**
   * Messages published in one turn of the event loop are packed per shard (`inboundPackEnvelope`): one
   * AMQP message, stored and confirmed once, for them all. Each caller's promise settles with its pack.
   */
  async publishInbound (message: InboundMessage): Promise<void> {
    if (this.#closed) throw closedError()
    // The buffer bound counts messages, whether waiting for their pack or for a confirm.
    const waiting = this.#inbound.publisher.outstanding + this.#packer.pending
    if (waiting >= this.#bufferSize) {
      throw new BusUnavailableError(BusErrorCode.BUFFER_FULL, `${waiting} messages already wait for RabbitMQ (publishBufferSize ${this.#bufferSize})`)
    }
    await this.#packer.add(message)
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
      declare: (ch, topology) => this.#declare(ch, topology),
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
      setup: (ch) => this.#declare(ch, pickTopology(this.#topology, { exchanges: [ExchangeName.DEAD_LETTER], queues: [DEAD_LETTER_QUEUE] })),
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
    this.#packer.close(closedError())
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

  /**
   * Declares `topology` on `ch`. A quorum queue that an earlier version created without the replica
   * placement argument is refused by RabbitMQ (PRECONDITION_FAILED) when declared with it: it is noted,
   * and every later declaration (the role retries on a new channel) leaves the argument out for it, so an
   * upgrade keeps running on the queues it finds (docs/rabbitmq.md, rebalancing).
   */
  async #declare (ch: Channel, topology: Topology): Promise<void> {
    const placed = this.#unplaced.size === 0
      ? topology
      : { ...topology, queues: topology.queues.map((q) => this.#unplaced.has(q.name) ? withoutPlacement(q) : q) }
    try {
      await assertTopology(ch, placed)
    } catch (err) {
      const queue = queueWithoutPlacement(err)
      if (queue !== undefined && !this.#unplaced.has(queue)) {
        this.#unplaced.add(queue)
        this.#log.warn({ queue }, 'quorum queue created without a replica placement; declaring it as it is')
      }
      throw err
    }
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
            await this.#declare(ch, topology)
            ready.resolve()
          },
        })
        wrapper.on('error', (err: unknown) => {
          if (this.#closed) return
          this.#log.error({ err, channel: name }, 'rabbitmq channel setup failed')
          if (!ready.settled && isRefusal(err) && queueWithoutPlacement(err) === undefined) {
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

/** `host:port` of an AMQP URL, for logs (never the credentials). */
function nodeOf (url: unknown): string | undefined {
  const text = typeof url === 'string' ? url : (url as { url?: unknown } | undefined)?.url
  if (typeof text !== 'string') return undefined
  try {
    return new URL(text).host
  } catch {
    return undefined
  }
}
