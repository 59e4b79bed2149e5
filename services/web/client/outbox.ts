import { newId } from './ids.js'
import { dest, type ChatMessage, type QueuedError } from './wire.js'

/** `pending`: no RECEIPT yet; `sent`: durable (RECEIPT), waiting for its seq; `failed`: the server said no. */
export type OutgoingState = 'pending' | 'sent' | 'failed'

/** A message the person sent that the room stream has not brought back yet. */
export interface Outgoing {
  readonly clientMsgId: string
  readonly roomId: string
  readonly content: string
  state: OutgoingState
  error: string | undefined
}

export interface OutboxOptions {
  /** Sends a frame; false when there is no connection. */
  readonly publish: (destination: string, body: string, headers: Record<string, string>) => boolean
  /** An item was added or changed state. */
  readonly onChange: (item: Outgoing) => void
}

/**
 * The server allows 20 SENDs a second per session (burst 40), typing and read markers included; the page
 * keeps its own sends well under that so a resend after a long disconnect is never refused for speed.
 */
const SENDS_PER_SECOND = 10
const SEND_BURST = 20
/** After `rate-limited` (another tab, a burst of typing), try again this much later. */
const RATE_LIMITED_RETRY_MS = 1_000

/**
 * Sends chat messages and tracks each until the room stream brings it back with a seq. Every message has a
 * clientMsgId chosen here and kept for every resend, so the server never stores it twice: after a reconnect
 * everything without a RECEIPT is sent again, and a failed one is retried on request with the same id.
 */
export class Outbox {
  readonly #opts: OutboxOptions
  /** In the order sent. */
  readonly #items = new Map<string, Outgoing>()
  /** receipt id → clientMsgId, for the current connection. */
  readonly #receipts = new Map<string, string>()
  readonly #queue: string[] = []
  #receiptCount = 0
  #tokens = SEND_BURST
  #refilledAt = Date.now()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor (opts: OutboxOptions) {
    this.#opts = opts
  }

  send (roomId: string, content: string): Outgoing {
    const item: Outgoing = { clientMsgId: newId(), roomId, content, state: 'pending', error: undefined }
    this.#items.set(item.clientMsgId, item)
    this.#opts.onChange(item)
    this.#enqueue(item.clientMsgId)
    return item
  }

  /** Sends a failed message again, with the same clientMsgId. */
  retry (clientMsgId: string): void {
    const item = this.#items.get(clientMsgId)
    if (item === undefined || item.state !== 'failed') return
    this.#set(item, 'pending', undefined)
    this.#enqueue(clientMsgId)
  }

  /** A new connection: whatever got no RECEIPT on the old one is sent again. */
  resendUnconfirmed (): void {
    this.#receipts.clear()
    for (const item of this.#items.values()) if (item.state === 'pending') this.#enqueue(item.clientMsgId)
  }

  /** A RECEIPT: the message is durable. Returns the item it confirmed, if any. */
  onReceipt (receiptId: string, clientMsgId: string | undefined): Outgoing | undefined {
    const id = clientMsgId ?? this.#receipts.get(receiptId)
    this.#receipts.delete(receiptId)
    const item = id === undefined ? undefined : this.#items.get(id)
    if (item === undefined || item.state === 'sent') return item
    this.#set(item, 'sent', undefined)
    return item
  }

  /** A `/user/queue/errors` message. Returns the item it failed, if it was one of ours. */
  onError (receiptId: string | undefined, error: QueuedError): Outgoing | undefined {
    const id = (receiptId === undefined ? undefined : this.#receipts.get(receiptId)) ?? error.clientMsgId
    if (receiptId !== undefined) this.#receipts.delete(receiptId)
    const item = id === undefined ? undefined : this.#items.get(id)
    if (item === undefined || item.state === 'sent') return item
    if (error.code === 'rate-limited') {
      setTimeout(() => this.#enqueue(item.clientMsgId), RATE_LIMITED_RETRY_MS)
      return item
    }
    this.#set(item, 'failed', `${error.message} (${error.code})`)
    return item
  }

  /** The room stream brought a message: if it is one of ours, it is done. Returns the item it settles. */
  settle (message: ChatMessage): Outgoing | undefined {
    const item = this.#items.get(message.clientMsgId)
    if (item === undefined || item.roomId !== message.roomId) return undefined
    this.#items.delete(message.clientMsgId)
    return item
  }

  /** Waiting items of a room, in the order sent. */
  pendingIn (roomId: string): Outgoing[] {
    return [...this.#items.values()].filter((i) => i.roomId === roomId)
  }

  dropRoom (roomId: string): void {
    for (const [id, item] of this.#items) if (item.roomId === roomId) this.#items.delete(id)
  }

  clear (): void {
    clearTimeout(this.#timer)
    this.#items.clear()
    this.#receipts.clear()
    this.#queue.length = 0
  }

  /** Tries to send what is queued now (e.g. after CONNECTED). */
  flush (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    while (this.#queue.length > 0) {
      const now = Date.now()
      this.#tokens = Math.min(SEND_BURST, this.#tokens + (now - this.#refilledAt) * SENDS_PER_SECOND / 1000)
      this.#refilledAt = now
      if (this.#tokens < 1) {
        this.#timer = setTimeout(() => this.flush(), Math.ceil((1 - this.#tokens) * 1000 / SENDS_PER_SECOND))
        return
      }
      const id = this.#queue[0] as string
      const item = this.#items.get(id)
      if (item === undefined || item.state !== 'pending') {
        this.#queue.shift()
        continue
      }
      const receipt = `msg-${++this.#receiptCount}`
      const body = JSON.stringify({ content: item.content, clientMsgId: item.clientMsgId })
      // Not connected: it stays queued, and resendUnconfirmed() after the next CONNECTED sends it.
      if (!this.#opts.publish(dest.send(item.roomId), body, { receipt, 'content-type': 'application/json' })) return
      this.#receipts.set(receipt, id)
      this.#queue.shift()
      this.#tokens -= 1
    }
  }

  #enqueue (clientMsgId: string): void {
    if (!this.#queue.includes(clientMsgId)) this.#queue.push(clientMsgId)
    this.flush()
  }

  #set (item: Outgoing, state: OutgoingState, error: string | undefined): void {
    item.state = state
    item.error = error
    this.#opts.onChange(item)
  }
}
