import type { InboundConsumer } from './message-bus.js'
import { RabbitShard } from './rabbit-shard.js'
import type { RabbitShardOptions } from './rabbit-shard.js'

export interface RabbitInboundConsumerOptions extends RabbitShardOptions {
  readonly shards: number
  readonly onClose: () => void
}

/** The inbound consumer of `RabbitMessageBus`: one `RabbitShard` per shard queue. */
export class RabbitInboundConsumer implements InboundConsumer {
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
