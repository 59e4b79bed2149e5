import type { AmqpConnectionManager } from 'amqp-connection-manager'
import type { Channel, ConsumeMessage } from 'amqplib'
import { DEAD_LETTER_QUEUE, ExchangeName, shardQueueName } from '@chat/topology'
import type { Topology } from '@chat/topology'
import { ManagedChannel } from './amqp-managed-channel.js'
import type { BusLogger } from './bus-logger.js'
import type { ShardConsumer } from './shard-consumer.js'
import { pickTopology } from './topology-subset.js'

export interface RabbitShardOptions {
  readonly manager: AmqpConnectionManager
  readonly log: BusLogger
  /** The durable topology; the shard declares its own queue, `chat.dlx` and `chat.dlq` from it. */
  readonly topology: Topology
  readonly prefetch: number
  readonly retryDelayMs: number
  /** Declares the shard's part of the topology (the bus's declaration, which knows queues of older placement). */
  readonly declare: (channel: Channel, topology: Topology) => Promise<void>
  readonly create: (shard: number) => ShardConsumer
}

/** One shard queue: its channel, its consumer (when not paused) and the outcome rules. */
export class RabbitShard {
  readonly #queue: string
  readonly #core: ShardConsumer
  readonly #channel: ManagedChannel
  readonly #log: BusLogger
  readonly #retryDelayMs: number
  readonly #topology: Topology
  readonly #declare: RabbitShardOptions['declare']
  #consumerTag: string | undefined
  #consumingOn: Channel | undefined
  #paused = false
  #closed = false
  /** Serialises the consume calls of setup, resume and a server cancel, so they never consume twice. */
  #lock: Promise<void> = Promise.resolve()
  #reconsume: NodeJS.Timeout | undefined

  constructor (shard: number, o: RabbitShardOptions) {
    this.#queue = shardQueueName(shard)
    this.#core = o.create(shard)
    this.#log = o.log
    this.#retryDelayMs = o.retryDelayMs
    this.#declare = o.declare
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
        await this.#declare(ch, this.#topology)
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
          await this.#declare(ch, this.#topology)
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
    // An inbound pack is split by ShardConsumer, which acks the AMQP message once every record is settled.
    this.#core.receive({
      body: msg.content,
      messageId: msg.properties.messageId as string | undefined,
      contentType: msg.properties.contentType as string | undefined,
      headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
      redelivered: msg.fields.redelivered,
      isLive: live,
      ack: ackMessage,
    })
  }

  #serial (f: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(f)
    this.#lock = run.catch(() => {})
    return run
  }
}
