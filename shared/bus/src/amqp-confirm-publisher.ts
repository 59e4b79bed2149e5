import type { ChannelWrapper } from 'amqp-connection-manager'
import type { ConfirmChannel, Message } from 'amqplib'
import type { PublishProperties } from './envelopes.js'
import { BusErrorCode, BusRejectedError, BusUnavailableError, closedError } from './errors.js'

export interface ConfirmPublisherOptions {
  /**
   * Creates the amqp-connection-manager channel (`confirm: true`; it queues publishes while disconnected),
   * whose setup must call `attach` with each new raw channel.
   */
  readonly createWrapper: (attach: (channel: ConfirmChannel) => void) => ChannelWrapper
  /** Publishes waiting for a confirm or for the connection, at most; beyond it a publish is refused at once. */
  readonly bufferSize: number
  /** Deadline of one publish, from the call to the broker's confirm. */
  readonly timeoutMs: number
}

interface Pending {
  readonly exchange: string
  readonly routingKey: string
  readonly body: Buffer
  readonly properties: PublishProperties & { readonly mandatory: boolean }
  readonly deadline: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
  readonly timer: NodeJS.Timeout
  /** Messages it carries (a pack carries several): what the buffer bound counts. */
  readonly weight: number
  weightFreed: boolean
  /** Given to the ChannelWrapper (else waiting behind an earlier publish of the same message id). */
  handedOver: boolean
  /** The broker returned it: unroutable. */
  returned: boolean
  settled: boolean
  released: boolean
}

/**
 * Publisher confirms with bounds, on top of amqp-connection-manager's ChannelWrapper (which queues
 * publishes while disconnected and resolves them on the broker's ack).
 *
 * - Bounded memory: at most `bufferSize` publishes wait (for a confirm or for the connection); one more
 *   is refused at once with BusUnavailableError BUFFER_FULL. A publish leaves the count only when the
 *   wrapper lets go of it, so the bound holds for what is really kept.
 * - Deadline: past `timeoutMs` a publish rejects with BusUnavailableError TIMEOUT, and the wrapper drops
 *   it from its queue (its own `timeout`), so a publish that timed out is never sent later.
 * - Returns: amqp-connection-manager does not surface `basic.return`, so `attach` listens on each raw
 *   channel. RabbitMQ sends the return before the ack of an unroutable mandatory message, so the
 *   return fails the publish (BusRejectedError UNROUTABLE) before the ack could resolve it. Returns are
 *   matched by message id; to keep that unambiguous, publishes of the same message id go to the broker
 *   one at a time.
 * - Each publish is matched to its own confirm by amqplib's ConfirmChannel (delivery tags, `multiple`
 *   acks); a nack rejects with BusRejectedError NACKED; a publish in flight when the channel closes
 *   rejects with BusUnavailableError UNAVAILABLE.
 */
export class ConfirmPublisher {
  readonly #wrapper: ChannelWrapper
  readonly #bufferSize: number
  readonly #timeoutMs: number
  /** Publishes per message id, in call order; the first is the one handed to the wrapper. */
  readonly #byId = new Map<string, Pending[]>()
  readonly #all = new Set<Pending>()
  #weight = 0
  #closed = false

  constructor (options: ConfirmPublisherOptions) {
    this.#bufferSize = options.bufferSize
    this.#timeoutMs = options.timeoutMs
    this.#wrapper = options.createWrapper((channel) => this.#attach(channel))
  }

  /** Messages waiting for a confirm or for the connection (a pack counts each message it carries). */
  get outstanding (): number {
    return this.#weight
  }

  /** Listens for returns on a new raw channel (from the wrapper's setup). */
  #attach (channel: ConfirmChannel): void {
    channel.on('return', (message: Message) => this.#onReturn(message))
  }

  /** Resolves on the broker's ack. Rejections: see the class comment. */
  publish (exchange: string, routingKey: string, body: Buffer, properties: PublishProperties & { readonly mandatory: boolean }, weight = 1): Promise<void> {
    if (this.#closed) return Promise.reject(closedError())
    if (this.#weight + weight > this.#bufferSize) {
      return Promise.reject(new BusUnavailableError(BusErrorCode.BUFFER_FULL,
        `${this.#weight} messages already wait for RabbitMQ (publishBufferSize ${this.#bufferSize})`))
    }
    return new Promise<void>((resolve, reject) => {
      const p: Pending = {
        exchange,
        routingKey,
        body,
        properties,
        deadline: Date.now() + this.#timeoutMs,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#settle(p, new BusUnavailableError(BusErrorCode.TIMEOUT, `RabbitMQ did not confirm within ${this.#timeoutMs} ms`))
          // The wrapper drops it on its own deadline (the same instant): its place is free now.
          this.#freeWeight(p)
          // Never handed over: nothing else holds it.
          if (!p.handedOver) this.#release(p)
        }, this.#timeoutMs),
        handedOver: false,
        returned: false,
        settled: false,
        released: false,
        weight,
        weightFreed: false,
      }
      this.#all.add(p)
      this.#weight += weight
      const id = properties.messageId
      if (id === undefined) {
        this.#handOver(p)
        return
      }
      const queue = this.#byId.get(id)
      if (queue === undefined) {
        this.#byId.set(id, [p])
        this.#handOver(p)
      } else {
        queue.push(p)
      }
    })
  }

  /** Rejects every pending publish with BusClosedError. The wrapper is closed by its manager. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    for (const p of [...this.#all]) {
      this.#settle(p, closedError())
      if (!p.handedOver) this.#release(p)
    }
  }

  #handOver (p: Pending): void {
    p.handedOver = true
    const { mandatory, ...props } = p.properties
    this.#wrapper.publish(p.exchange, p.routingKey, p.body, {
      ...props,
      headers: { ...props.headers },
      mandatory,
      // The wrapper's own deadline drops it from the wrapper's queue when ours passes.
      timeout: Math.max(1, p.deadline - Date.now()),
    }).then(() => {
      this.#release(p)
      this.#settle(p, undefined)
    }, (err: unknown) => {
      this.#release(p)
      this.#settle(p, this.#errorOf(err))
    })
  }

  #errorOf (err: unknown): Error {
    if (this.#closed) return closedError()
    const message = err instanceof Error ? err.message : String(err)
    if (message === 'message nacked') return new BusRejectedError(BusErrorCode.NACKED, 'RabbitMQ nacked the message', { cause: err })
    if (message === 'timeout') return new BusUnavailableError(BusErrorCode.TIMEOUT, `RabbitMQ did not confirm within ${this.#timeoutMs} ms`, { cause: err })
    return new BusUnavailableError(BusErrorCode.UNAVAILABLE, 'the channel closed before RabbitMQ confirmed the message', { cause: err })
  }

  /** Resolves or rejects once; a returned publish stays rejected whatever its ack says. */
  #settle (p: Pending, err: Error | undefined): void {
    if (p.settled) return
    p.settled = true
    clearTimeout(p.timer)
    if (err === undefined) p.resolve()
    else p.reject(err)
  }

  /** The wrapper let go of it: frees its place in the buffer and hands over the next of its message id. */
  #release (p: Pending): void {
    if (p.released) return
    p.released = true
    this.#all.delete(p)
    this.#freeWeight(p)
    const id = p.properties.messageId
    if (id === undefined) return
    const queue = this.#byId.get(id)
    if (queue === undefined) return
    const i = queue.indexOf(p)
    if (i >= 0) queue.splice(i, 1)
    const next = queue[0]
    if (next === undefined) this.#byId.delete(id)
    else if (!next.handedOver && !next.settled) this.#handOver(next)
  }

  #freeWeight (p: Pending): void {
    if (p.weightFreed) return
    p.weightFreed = true
    this.#weight -= p.weight
  }

  #onReturn (message: Message): void {
    const id = message.properties.messageId as string | undefined
    if (id === undefined) return
    const head = this.#byId.get(id)?.[0]
    if (head === undefined || !head.handedOver || head.returned) return
    const f = message.fields as { replyCode?: number, replyText?: string, exchange: string, routingKey: string }
    this.#settle(head, new BusRejectedError(BusErrorCode.UNROUTABLE,
      `RabbitMQ returned the message: ${f.replyCode ?? ''} ${f.replyText ?? ''} (${f.exchange} ${f.routingKey})`))
    head.returned = true
  }
}
