import { ExchangeName, edgeQueueSpec } from '@chat/topology'
import type { BusLogger } from './bus-logger.js'
import { edgeBindingKey, edgeDeliveriesOf } from './edge-routing.js'
import { closedError } from './errors.js'
import type { BrokerChannel, InProcessBroker } from './in-process-broker.js'
import type { EdgeDelivery, EdgeQueue, EdgeTopic } from './message-bus.js'

/** An edge's queue on the in-process broker: exclusive to its channel, never re-created (no reconnects). */
export class MemoryEdgeQueue implements EdgeQueue {
  readonly #broker: InProcessBroker
  readonly #channel: BrokerChannel
  readonly #queue: string
  readonly #onClosed: () => void
  readonly #bindings = new Set<string>()
  #closed = false

  constructor (broker: InProcessBroker, instanceId: string, onDelivery: (d: EdgeDelivery) => void, log: BusLogger, onClosed: () => void) {
    const spec = edgeQueueSpec(instanceId)
    this.#broker = broker
    this.#queue = spec.name
    this.#onClosed = onClosed
    this.#channel = broker.createChannel()
    this.#channel.declareQueue(spec)
    this.#channel.consume(spec.name, (m) => {
      const ds = edgeDeliveriesOf(m.routingKey, m.properties.messageId, m.properties.headers, m.properties.contentType, m.body)
      if (ds.length === 0) {
        log.warn({ queue: spec.name, routingKey: m.routingKey }, 'edge delivery with an unknown routing key or a malformed pack dropped')
        return
      }
      for (const d of ds) {
        try {
          onDelivery(d)
        } catch (err) {
          log.error({ err, queue: spec.name, routingKey: m.routingKey }, 'edge delivery handler failed')
        }
      }
    }, { noAck: true })
  }

  async bind (topic: EdgeTopic): Promise<void> {
    if (this.#closed) throw closedError()
    const key = edgeBindingKey(topic)
    this.#broker.bind(this.#queue, ExchangeName.DELIVER, key)
    this.#bindings.add(key)
  }

  async unbind (topic: EdgeTopic): Promise<void> {
    if (this.#closed) return
    const key = edgeBindingKey(topic)
    this.#broker.unbind(this.#queue, ExchangeName.DELIVER, key)
    this.#bindings.delete(key)
  }

  onResync (): void {
    // One process, no reconnects: the queue is never re-created.
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#channel.close()
    this.#onClosed()
  }
}
