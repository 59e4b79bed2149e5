import type { InboundMessage } from '@chat/schemas'

/**
 * What a dispatcher decides about one inbound delivery.
 * - `ack`: done (stored, or already stored); removed from the queue.
 * - `requeue`: a transient failure (database unreachable, transaction conflict). The delivery goes back
 *   to the head of its shard queue, in its original order relative to the shard's other requeued
 *   deliveries. The caller is expected to `pause()` the consumer and back off.
 * - `retry`: the message failed for its own reasons. A copy goes through a delay queue with
 *   `x-retry-count` + 1; once the attempts reach `maxAttempts` it is dead-lettered instead.
 * - `dead-letter`: give up now; the message goes to `chat.dlq` with the reason.
 */
export type Outcome =
  | { readonly outcome: 'ack' }
  | { readonly outcome: 'requeue' }
  | { readonly outcome: 'retry', readonly reason: string }
  | { readonly outcome: 'dead-letter', readonly reason: string }

export const ACK: Outcome = Object.freeze({ outcome: 'ack' })
export const REQUEUE: Outcome = Object.freeze({ outcome: 'requeue' })

/** One message taken from a room shard queue. */
export interface InboundDelivery {
  /** The raw envelope bytes as published (JSON of `InboundMessage`); decoding is the consumer's job. */
  readonly body: Uint8Array
  /** The shard queue it came from. */
  readonly shard: number
  /** Retries already made (the `x-retry-count` header; 0 on the first attempt). */
  readonly retryCount: number
  /** The broker delivered it before (a consumer died or requeued it). */
  readonly redelivered: boolean
}

export interface InboundConsumerOptions {
  /** Unacknowledged deliveries per shard queue. @default 256 */
  readonly prefetch?: number
  /** Attempts (first try plus retries) before a message that keeps failing is dead-lettered. @default 5 */
  readonly maxAttempts?: number
}

export interface InboundConsumer {
  /**
   * Stops new deliveries on every shard (resolves once none can arrive). Deliveries already handed to
   * the handler still need an outcome. Idempotent.
   */
  pause (): Promise<void>
  /** Starts delivering again after `pause()`. Idempotent. */
  resume (): Promise<void>
  /** Stops consuming for good. Deliveries without an outcome go back to their queues. */
  close (): Promise<void>
}

/**
 * Decides one delivery. Called in delivery order per shard; up to `prefetch` calls per shard are
 * outstanding at once, and outcomes are applied in the order the promises resolve. A rejected promise
 * counts as `retry` with the error's message as reason.
 */
export type InboundHandler = (delivery: InboundDelivery) => Promise<Outcome>

/** A stored message on its way to the edges. */
export interface StoredDelivery {
  readonly roomId: string
  readonly seq: number
  /** The message id (`message-id` of the MESSAGE frame). */
  readonly id: string
  /** The JSON of the stored `ChatMessage`, the exact MESSAGE body. */
  readonly body: string
}

/** Ephemeral events on `chat.deliver`. Bodies are JSON chosen by the publisher. */
export type BusEvent =
  | { readonly kind: 'presence', readonly roomId: string, readonly body: string }
  | { readonly kind: 'typing', readonly roomId: string, readonly body: string }
  | { readonly kind: 'user', readonly userId: string, readonly body: string }
  | { readonly kind: 'members', readonly roomId: string, readonly body: string }

/** What an edge can subscribe its queue to. */
export type EdgeTopic =
  | { readonly kind: 'room' | 'presence' | 'typing' | 'members', readonly roomId: string }
  | { readonly kind: 'user', readonly userId: string }
  | { readonly kind: 'all-members' }

/** One message arriving at an edge. */
export type EdgeDelivery =
  | { readonly kind: 'room', readonly roomId: string, readonly seq: number, readonly id: string, readonly body: Buffer }
  | { readonly kind: 'presence' | 'typing' | 'members', readonly roomId: string, readonly body: Buffer }
  | { readonly kind: 'user', readonly userId: string, readonly body: Buffer }

export interface EdgeQueue {
  /** Routes matching deliveries to this queue. Resolves once the broker confirmed the binding. Idempotent. */
  bind (topic: EdgeTopic): Promise<void>
  /** Stops routing them. Unbinding an absent binding is not an error. */
  unbind (topic: EdgeTopic): Promise<void>
  /**
   * Registers a callback run after the queue was re-created on a new connection with all current
   * bindings restored. Deliveries published while it was gone are lost to this queue: the edge must
   * refill its rooms from the database.
   */
  onResync (callback: () => void): void
  /** Deletes the queue (or lets it auto-delete) and stops delivering. */
  close (): Promise<void>
}

/** A message taken off `chat.dlq`. */
export interface DeadLetter {
  readonly body: Uint8Array
  readonly reason: string
  readonly retryCount: number
  readonly headers: Readonly<Record<string, unknown>>
}

/**
 * The message broker as the chat needs it. One instance per process, safe to share among the roles it
 * plays (edge, dispatcher, history). Adapters: `InProcessMessageBus` (single process, the embedded
 * default) and `RabbitMessageBus` (`@chat/bus/rabbitmq`).
 */
export interface MessageBus {
  /**
   * Publishes a client message to its room's shard queue: persistent and mandatory.
   * Resolves only once the broker confirmed it (durable in the queue). While the broker is unreachable
   * the publish waits in a bounded buffer; past the buffer's bound or the deadline it rejects with
   * `BusUnavailableError`. A nack or an unroutable return rejects with `BusRejectedError`. Never resolves
   * for a message the broker did not take.
   */
  publishInbound (message: InboundMessage): Promise<void>

  /** Consumes every room shard queue. One consumer per process; with several processes one is active per shard. */
  consumeInbound (handler: InboundHandler, options?: InboundConsumerOptions): Promise<InboundConsumer>

  /**
   * Publishes stored messages to `chat.deliver` (`room.{roomId}`), in order. Resolves once the broker
   * confirmed them all. Not mandatory: a room nobody subscribes to is normal.
   */
  publishDeliveries (deliveries: readonly StoredDelivery[]): Promise<void>

  /** Publishes an ephemeral event. Best effort: resolves when handed to the broker, fails only when closed. */
  publishEvent (event: BusEvent): Promise<void>

  /** Creates this edge instance's queue and starts delivering to `onDelivery` (synchronously, in arrival order). */
  openEdgeQueue (instanceId: string, onDelivery: (delivery: EdgeDelivery) => void): Promise<EdgeQueue>

  /** Takes up to `max` dead letters off `chat.dlq` (acknowledged: they leave the queue). For tests and operators. */
  takeDeadLetters (max: number): Promise<readonly DeadLetter[]>

  /** True while connected (for readiness). The in-process bus is always connected until closed. */
  isConnected (): boolean

  /** Closes consumers, channels and the connection. Pending publishes reject with `BusClosedError`. */
  close (): Promise<void>
}
