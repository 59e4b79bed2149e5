import { DEAD_LETTER_QUEUE, DEFAULT_TOPOLOGY_OPTIONS, buildTopology } from '@chat/topology'
import type { Topology, TopologyOptions } from '@chat/topology'
import type { InboundMessage } from '@chat/schemas'
import { silentBusLogger } from './bus-logger.js'
import type { BusLogger } from './bus-logger.js'
import { deliveryEnvelopes, eventEnvelope } from './envelopes.js'
import type { Envelope, PublishProperties } from './envelopes.js'
import { BusErrorCode, BusRejectedError, closedError } from './errors.js'
import { BrokerError, InProcessBroker } from './in-process-broker.js'
import { InboundPacker } from './inbound-packer.js'
import { MemoryEdgeQueue } from './memory-edge-queue.js'
import { MemoryInboundConsumer } from './memory-inbound-consumer.js'
import type {
  BusEvent, DeadLetter, EdgeDelivery, EdgeQueue, InboundConsumer, InboundConsumerOptions,
  InboundHandler, MessageBus, StoredDelivery,
} from './message-bus.js'
import { deadLetterOf } from './outcome-plan.js'
import { resolveConsumerOptions } from './consumer-options.js'
import { ShardConsumer } from './shard-consumer.js'
import type { CopyPublisher } from './shard-consumer.js'

export interface InProcessMessageBusOptions {
  /** Shard count and retry delays; the same data RabbitMQ is declared with. @default DEFAULT_TOPOLOGY_OPTIONS */
  readonly topology?: TopologyOptions
  /**
   * The broker to run on. Default: a new one, closed by `close()`. Pass one to inspect it in tests; it
   * is then yours to close.
   */
  readonly broker?: InProcessBroker
  /** Where handler and edge callback failures are logged. @default a logger that writes nothing */
  readonly log?: BusLogger
}

/**
 * The `MessageBus` of one process: the embedded default of `npm start`, with no broker to install.
 * Single process only: edge, dispatcher and history must share this one instance, and nothing survives
 * a restart (a message is "durable" once it is in this process's memory).
 *
 * It is not a mock: it runs on `InProcessBroker`, declared from the same topology data as RabbitMQ
 * (`buildTopology`, `edgeQueueSpec`), and applies outcomes with the same code as `RabbitMessageBus`
 * (`ShardConsumer`): inbound publishes of one event-loop turn packed per shard (`InboundPacker`) and split
 * by the consumer, confirms (a publish resolves once enqueued), mandatory routing, per-shard order,
 * prefetch, requeue in order, retry copies with `x-retry-count` through TTL delay queues that
 * dead-letter back to `chat.inbound`, and dead letters in `chat.dlq`. Deliveries are asynchronous.
 * It never disconnects, so `onResync` callbacks never run.
 */
export class InProcessMessageBus implements MessageBus {
  readonly #broker: InProcessBroker
  readonly #ownsBroker: boolean
  readonly #options: TopologyOptions
  readonly #log: BusLogger
  readonly #edgeQueues = new Set<MemoryEdgeQueue>()
  readonly #packer: InboundPacker
  #consumer: MemoryInboundConsumer | undefined
  #closed = false

  constructor (options: InProcessMessageBusOptions = {}) {
    this.#options = options.topology ?? DEFAULT_TOPOLOGY_OPTIONS
    this.#log = options.log ?? silentBusLogger
    this.#ownsBroker = options.broker === undefined
    this.#broker = options.broker ?? new InProcessBroker({
      onCallbackError: (err) => this.#log.error({ err }, 'in-process broker callback failed'),
    })
    declare(this.#broker, buildTopology(this.#options))
    this.#packer = new InboundPacker({
      shards: this.#options.shards,
      send: async (envelope) => { this.#publish(envelope, true) },
    })
  }

  async publishInbound (message: InboundMessage): Promise<void> {
    if (this.#closed) throw closedError()
    await this.#packer.add(message)
  }

  async consumeInbound (handler: InboundHandler, options: InboundConsumerOptions = {}): Promise<InboundConsumer> {
    if (this.#closed) throw closedError()
    if (this.#consumer !== undefined) throw new BusRejectedError(BusErrorCode.ALREADY_CONSUMING, 'this bus already has an open inbound consumer')
    const { prefetch, maxAttempts } = resolveConsumerOptions(options)
    const publisher: CopyPublisher = {
      publishCopy: async (exchange, routingKey, body, properties) => {
        this.#publish({ exchange, routingKey, body, properties }, true)
      },
    }
    const consumer = new MemoryInboundConsumer(this.#broker, {
      shards: this.#options.shards,
      prefetch,
      create: (shard) => new ShardConsumer({
        shard, handler, publisher, log: this.#log, policy: { maxAttempts, retryDelaysMs: this.#options.retryDelaysMs },
      }),
      onClose: () => { if (this.#consumer === consumer) this.#consumer = undefined },
    })
    this.#consumer = consumer
    return consumer
  }

  async publishDeliveries (deliveries: readonly StoredDelivery[]): Promise<void> {
    if (this.#closed) throw closedError()
    for (const e of deliveryEnvelopes(deliveries)) this.#publish(e, false)
  }

  async publishEvent (event: BusEvent): Promise<void> {
    this.#publish(eventEnvelope(event), false)
  }

  async openEdgeQueue (instanceId: string, onDelivery: (delivery: EdgeDelivery) => void): Promise<EdgeQueue> {
    if (this.#closed) throw closedError()
    const q = new MemoryEdgeQueue(this.#broker, instanceId, onDelivery, this.#log, () => this.#edgeQueues.delete(q))
    this.#edgeQueues.add(q)
    return q
  }

  async takeDeadLetters (max: number): Promise<readonly DeadLetter[]> {
    if (this.#closed) throw closedError()
    const out: DeadLetter[] = []
    while (out.length < max) {
      const m = this.#broker.get(DEAD_LETTER_QUEUE)
      if (m === undefined) break
      out.push(deadLetterOf(m.body, m.properties.headers))
    }
    return out
  }

  isConnected (): boolean {
    return !this.#closed
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#packer.close(closedError())
    await this.#consumer?.close()
    for (const q of [...this.#edgeQueues]) await q.close()
    if (this.#ownsBroker) this.#broker.close()
  }

  /** Publishes and applies the confirm: enqueued, or a rejection (mandatory and unroutable, or nacked). */
  #publish (e: Envelope, mandatory: boolean): void {
    if (this.#closed) throw closedError()
    let result
    try {
      result = this.#broker.publish(e.exchange, e.routingKey, e.body, toBrokerProperties(e.properties))
    } catch (err) {
      if (err instanceof BrokerError && err.code === 'NOT_FOUND') {
        throw new BusRejectedError(BusErrorCode.UNROUTABLE, `no exchange '${e.exchange}'`, { cause: err })
      }
      throw err
    }
    if (result === 'rejected') throw new BusRejectedError(BusErrorCode.NACKED, `the broker refused the message (${e.exchange} ${e.routingKey})`)
    if (result === 'unroutable' && mandatory) {
      throw new BusRejectedError(BusErrorCode.UNROUTABLE, `no queue takes ${e.exchange} ${e.routingKey}`)
    }
  }
}

function toBrokerProperties (p: PublishProperties): PublishProperties {
  // The broker keeps the object: give it its own copy of the headers.
  return { ...p, headers: { ...p.headers } }
}

/** Declares the durable topology, synchronously, so the bus is usable as soon as it is constructed. */
function declare (broker: InProcessBroker, topology: Topology): void {
  for (const e of topology.exchanges) broker.declareExchange(e.name, e.type)
  for (const q of topology.queues) broker.declareQueue(q.name, q)
  for (const b of topology.bindings) broker.bind(b.queue, b.exchange, b.routingKey)
}
