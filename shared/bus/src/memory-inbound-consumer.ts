import { shardQueueName } from '@chat/topology'
import type { BrokerChannel, BrokerDelivery, InProcessBroker } from './in-process-broker.js'
import type { InboundConsumer } from './message-bus.js'
import type { ShardConsumer } from './shard-consumer.js'

interface ShardState {
  readonly shard: number
  readonly channel: BrokerChannel
  readonly core: ShardConsumer
  tag: string | undefined
}

/** The inbound consumer of `InProcessMessageBus`: a channel and a `ShardConsumer` per shard queue. */
export class MemoryInboundConsumer implements InboundConsumer {
  readonly #shards: ShardState[] = []
  readonly #prefetch: number
  readonly #onClose: () => void
  #closed = false

  constructor (broker: InProcessBroker, o: {
    shards: number
    prefetch: number
    create: (shard: number) => ShardConsumer
    onClose: () => void
  }) {
    this.#prefetch = o.prefetch
    this.#onClose = o.onClose
    for (let k = 0; k < o.shards; k++) {
      this.#shards.push({ shard: k, channel: broker.createChannel(), core: o.create(k), tag: undefined })
    }
    for (const s of this.#shards) this.#consume(s)
  }

  /** As in RabbitMessageBus: stops handing out, keeps the broker consumer (and so the order of what waits). */
  async pause (): Promise<void> {
    if (this.#closed) return
    for (const s of this.#shards) s.core.pause()
  }

  async resume (): Promise<void> {
    if (this.#closed) return
    for (const s of this.#shards) {
      s.core.resume()
      this.#consume(s)
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#shards) {
      s.core.close()
      s.channel.close()
    }
    this.#onClose()
  }

  #consume (s: ShardState): void {
    if (s.tag !== undefined || !s.channel.isOpen) return
    const { channel, core } = s
    s.tag = channel.consume(shardQueueName(s.shard), (m: BrokerDelivery) => {
      core.receive({
        body: m.body,
        messageId: m.properties.messageId,
        contentType: m.properties.contentType,
        headers: m.properties.headers ?? {},
        redelivered: m.redelivered,
        ack: () => channel.ack(m.deliveryTag),
        isLive: () => channel.isOpen,
      })
    }, { prefetch: this.#prefetch, onCancel: () => { s.tag = undefined } })
  }
}
