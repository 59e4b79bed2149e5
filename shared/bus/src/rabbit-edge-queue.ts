import type { AmqpConnectionManager } from 'amqp-connection-manager'
import type { Channel, ConsumeMessage } from 'amqplib'
import { ExchangeName, assertQueueSpec, edgeQueueSpec } from '@chat/topology'
import { ManagedChannel } from './amqp-managed-channel.js'
import type { BusLogger } from './bus-logger.js'
import { edgeBindingKey, edgeDeliveriesOf } from './edge-routing.js'
import { BusErrorCode, BusUnavailableError, closedError } from './errors.js'
import type { EdgeDelivery, EdgeQueue, EdgeTopic } from './message-bus.js'

export interface RabbitEdgeQueueOptions {
  readonly instanceId: string
  readonly onDelivery: (delivery: EdgeDelivery) => void
  readonly manager: AmqpConnectionManager
  readonly log: BusLogger
  readonly timeoutMs: number
  readonly retryDelayMs: number
  readonly onClosed: () => void
}

/**
 * An edge's own queue on RabbitMQ: exclusive and auto-deleted, so it dies with the connection; on every new
 * connection (to whichever node of the cluster) it is declared again with every current binding, and
 * `onResync` callbacks tell the edge to refill its rooms from the database.
 */
export class RabbitEdgeQueue implements EdgeQueue {
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
