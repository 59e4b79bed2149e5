import type { AmqpConnectionManager } from 'amqp-connection-manager'
import type { Channel, ChannelModel } from 'amqplib'
import type { BusLogger } from './bus-logger.js'
import { BusErrorCode, BusUnavailableError, closedError } from './errors.js'

export interface ManagedChannelOptions {
  /** For logs: the channel's role. */
  readonly name: string
  readonly manager: AmqpConnectionManager
  readonly log: BusLogger
  /** Declares what the role needs and starts consuming, on every new channel. A throw closes it and tries again later. */
  readonly setup: (channel: Channel) => Promise<void>
  /** Runs once a channel is set up; `isFirst` only for the first channel this role ever had. */
  readonly onReady?: (channel: Channel, info: { readonly isFirst: boolean }) => void
  /** Runs when a channel is gone (its connection dropped, the broker closed it, or `close()`). */
  readonly onLost?: (channel: Channel) => void
  /** First wait before opening a channel again after a channel-level failure; doubles up to 30 s. */
  readonly retryDelayMs: number
}

const MAX_RETRY_MS = 30_000

interface Waiter {
  readonly resolve: (ch: Channel) => void
  readonly reject: (err: Error) => void
  readonly timer: NodeJS.Timeout
}

/**
 * One channel of one role (a shard consumer, an edge queue, events, dead letters) on the connection
 * that amqp-connection-manager keeps alive. On every new connection it opens a channel and runs
 * `setup`; unlike amqp-connection-manager's ChannelWrapper it also recovers when the broker closes
 * just the channel (a channel error, a consumer timeout, a failed declaration), by opening a new one
 * on the same connection after a growing delay.
 */
export class ManagedChannel {
  readonly #o: ManagedChannelOptions
  readonly #dead = new WeakSet<Channel>()
  readonly #waiters = new Set<Waiter>()
  #current: Channel | undefined
  #generation = 0
  #setups = 0
  #failures = 0
  #retry: NodeJS.Timeout | undefined
  #closed = false

  constructor (options: ManagedChannelOptions) {
    this.#o = options
    options.manager.on('connect', this.#onConnect)
    const connection = options.manager.connection
    if (connection !== undefined) this.#start(connection)
  }

  /** The channel, once set up; undefined while there is none. */
  get channel (): Channel | undefined {
    return this.#current
  }

  /** False once the channel is gone: its delivery tags are void. */
  isLive (channel: Channel): boolean {
    return !this.#dead.has(channel) && !this.#closed
  }

  /** The set-up channel, waiting up to `timeoutMs` for one. Rejects with BusUnavailableError (TIMEOUT) or BusClosedError. */
  ready (timeoutMs: number): Promise<Channel> {
    if (this.#closed) return Promise.reject(closedError())
    if (this.#current !== undefined) return Promise.resolve(this.#current)
    return new Promise<Channel>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter)
          reject(new BusUnavailableError(BusErrorCode.TIMEOUT, `no ${this.#o.name} channel within ${timeoutMs} ms: RabbitMQ is unreachable`))
        }, Math.max(0, timeoutMs)),
      }
      this.#waiters.add(waiter)
    })
  }

  /** Closes the channel and stops re-opening it. Idempotent. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#generation++
    this.#o.manager.removeListener('connect', this.#onConnect)
    if (this.#retry !== undefined) clearTimeout(this.#retry)
    for (const w of this.#waiters) {
      clearTimeout(w.timer)
      w.reject(closedError())
    }
    this.#waiters.clear()
    const ch = this.#current
    this.#current = undefined
    if (ch !== undefined) {
      this.#lose(ch)
      await ch.close().catch(() => {})
    }
  }

  readonly #onConnect = ({ connection }: { connection: ChannelModel }): void => {
    this.#failures = 0
    this.#start(connection)
  }

  #start (connection: ChannelModel): void {
    this.#open(connection).catch((err: unknown) => this.#o.log.error({ err, channel: this.#o.name }, 'opening a channel failed'))
  }

  async #open (connection: ChannelModel): Promise<void> {
    if (this.#closed) return
    const generation = ++this.#generation
    if (this.#retry !== undefined) clearTimeout(this.#retry)
    this.#retry = undefined
    let ch: Channel
    try {
      ch = await connection.createChannel()
    } catch (err) {
      if (generation !== this.#generation || this.#closed) return
      this.#o.log.warn({ err, channel: this.#o.name }, 'opening a channel failed')
      this.#scheduleRetry(connection)
      return
    }
    if (this.#closed || generation !== this.#generation) {
      ch.close().catch(() => {})
      return
    }
    ch.on('error', (err: unknown) => this.#o.log.warn({ err, channel: this.#o.name }, 'channel error'))
    ch.on('close', () => this.#onChannelClose(ch, connection, generation))
    try {
      await this.#o.setup(ch)
    } catch (err) {
      if (!this.#closed && generation === this.#generation) {
        this.#o.log.error({ err, channel: this.#o.name }, 'channel setup failed; trying again')
      }
      // Its 'close' event schedules the next attempt.
      ch.close().catch(() => {})
      return
    }
    if (this.#closed || generation !== this.#generation || this.#dead.has(ch)) {
      ch.close().catch(() => {})
      return
    }
    this.#current = ch
    this.#failures = 0
    const isFirst = this.#setups === 0
    this.#setups++
    for (const w of this.#waiters) {
      clearTimeout(w.timer)
      w.resolve(ch)
    }
    this.#waiters.clear()
    try {
      this.#o.onReady?.(ch, { isFirst })
    } catch (err) {
      this.#o.log.error({ err, channel: this.#o.name }, 'channel ready callback failed')
    }
  }

  #onChannelClose (ch: Channel, connection: ChannelModel, generation: number): void {
    this.#lose(ch)
    if (this.#current === ch) this.#current = undefined
    if (this.#closed) return
    // A lost connection closes every channel first: wait a tick, then re-open only if the connection
    // survived (a channel-level failure). A new connection re-opens through 'connect'.
    setImmediate(() => {
      if (this.#closed || generation !== this.#generation || this.#o.manager.connection !== connection) return
      this.#scheduleRetry(connection)
    })
  }

  #lose (ch: Channel): void {
    if (this.#dead.has(ch)) return
    this.#dead.add(ch)
    try {
      this.#o.onLost?.(ch)
    } catch (err) {
      this.#o.log.error({ err, channel: this.#o.name }, 'channel lost callback failed')
    }
  }

  #scheduleRetry (connection: ChannelModel): void {
    if (this.#closed || this.#retry !== undefined) return
    const waitMs = Math.min(MAX_RETRY_MS, this.#o.retryDelayMs * 2 ** this.#failures)
    this.#failures++
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (!this.#closed && this.#o.manager.connection === connection) this.#start(connection)
    }, waitMs)
    this.#retry.unref()
  }
}
