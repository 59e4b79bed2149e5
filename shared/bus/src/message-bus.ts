import type { InboundMessage } from '@chat/schemas'

/**
 * What a dispatcher decides about one inbound delivery.
 * - `ack`: done (stored, or already stored); removed from the queue.
 * - `requeue`: a transient failure (database unreachable, transaction conflict). The delivery comes
 *   back as if from the head of its shard queue: redelivered (`redelivered: true`) before any delivery
 *   not yet handed out, in its original order relative to the shard's other requeued deliveries, and
 *   not before `resume()` while the consumer is paused. The caller is expected to `pause()` the
 *   consumer and back off; requeuing without pausing redelivers at once (a loop).
 *   The adapters hold a requeued delivery unacknowledged and hand it out again themselves rather than
 *   `nack(requeue)` it: RabbitMQ 3.10+ quorum queues without a delivery limit put a nacked message at
 *   the back of the queue, and 4.x counts requeues towards the delivery limit (docs/rabbitmq.md). Should
 *   the process or its connection die meanwhile, the broker returns it to the head of the queue.
 * - `retry`: the message failed for its own reasons. A copy goes through a delay queue with
 *   `x-retry-count` + 1, and the original is acknowledged once the broker confirmed the copy. Once the
 *   attempts (first try plus retries) reach `maxAttempts` it is dead-lettered instead.
 * - `dead-letter`: give up now; a copy goes to `chat.dlq` with the reason, then the original is acknowledged.
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
  /** Delivered before: a consumer died holding it, or it was requeued. A retry copy is a new message (false). */
  readonly redelivered: boolean
}

export interface InboundConsumerOptions {
  /**
   * Deliveries per shard queue handed out and not yet acknowledged (handler running, requeued and held,
   * or a retry copy awaiting its confirm). A positive integer. @default 256
   */
  readonly prefetch?: number
  /** Attempts (first try plus retries) before a message that keeps failing is dead-lettered. At least 1. @default 5 */
  readonly maxAttempts?: number
}

export interface InboundConsumer {
  /**
   * Stops handing deliveries to the handler on every shard; once it resolves, none is handed out until
   * `resume()`. Deliveries already handed out still need an outcome, applied as usual.
   * The broker consumers stay registered, so this process keeps its shards (single active consumer)
   * and its requeued deliveries keep their place: what the broker sends meanwhile, up to the prefetch
   * window, waits in order. (Cancelling would hand a shard to another dispatcher at once, ahead of the
   * deliveries still held here.) A reconnect while paused does not consume again before `resume()`.
   * To hand the shards over, `close()` the consumer. Idempotent.
   */
  pause (): Promise<void>
  /** Hands out again after `pause()`: first what waits (requeued deliveries first), in order, then new deliveries. Idempotent. */
  resume (): Promise<void>
  /**
   * Stops consuming for good. Deliveries without an outcome, and requeued ones, go back to the head of
   * their queues in their original order, and another consumer of the shard takes over; outcomes
   * decided later are ignored. Idempotent.
   */
  close (): Promise<void>
}

/**
 * Decides one delivery. Called in delivery order per shard; up to `prefetch` deliveries per shard are
 * outstanding at once. Acks, retries and dead-letters are applied in the order the promises resolve;
 * requeued deliveries come back in their original order (see `Outcome`). A rejected promise (or a
 * throw) counts as `retry` with the error's message as reason.
 * After a reconnect, deliveries handed out on the old connection can no longer be acknowledged: their
 * outcomes are dropped and the broker redelivers them (`redelivered: true`), so handlers must be idempotent.
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
  /**
   * Routes matching deliveries to this queue. Resolves once the broker confirmed the binding. Idempotent
   * (a set, not a count: one `unbind` removes it). While disconnected it waits for the connection, at most
   * the publish deadline, then rejects with `BusUnavailableError` and the binding is not kept.
   */
  bind (topic: EdgeTopic): Promise<void>
  /** Stops routing them. Unbinding an absent binding is not an error; while disconnected it resolves at once. */
  unbind (topic: EdgeTopic): Promise<void>
  /**
   * Registers a callback run after the queue was re-created on a new connection with all current
   * bindings restored (never after the first connect). Deliveries published while it was gone are lost
   * to this queue: the edge must refill its rooms from the database.
   */
  onResync (callback: () => void): void
  /** Deletes the queue and stops delivering. Later `bind` calls reject with `BusClosedError`. Idempotent. */
  close (): Promise<void>
}

/** A message taken off `chat.dlq`. */
export interface DeadLetter {
  readonly body: Uint8Array
  /**
   * `x-death-reason` as the consumer gave it, or, for a message the broker dead-lettered itself (e.g. a
   * quorum queue's delivery limit), the broker's `x-first-death-reason` (`delivery_limit`, `rejected`, …).
   */
  readonly reason: string
  /** Retries made before it was dead-lettered (`x-retry-count`): `maxAttempts - 1` for a message that kept failing. */
  readonly retryCount: number
  /** All headers, e.g. `x-origin-shard` (the shard it came from). */
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
   * `BusUnavailableError` (`BUFFER_FULL` at once, `TIMEOUT` at the deadline); a publish in flight when
   * the connection drops rejects with `BusUnavailableError` (`UNAVAILABLE`): it may have been stored, so
   * a retry must keep the message id. A nack or an unroutable return rejects with `BusRejectedError`
   * (`NACKED`, `UNROUTABLE`). Never resolves for a message the broker did not take.
   * Publishes to one shard are enqueued in call order, except that one retried after a dropped
   * connection may land after later ones.
   */
  publishInbound (message: InboundMessage): Promise<void>

  /**
   * Consumes every room shard queue, each with its own prefetch window. One consumer per bus (a second
   * call while one is open rejects with `BusRejectedError` `ALREADY_CONSUMING`); with several processes the
   * broker keeps one consumer active per shard (single active consumer). Survives reconnects.
   */
  consumeInbound (handler: InboundHandler, options?: InboundConsumerOptions): Promise<InboundConsumer>

  /**
   * Publishes stored messages to `chat.deliver` (`room.{roomId}`, header `seq`, message id = `id`), in
   * order. Resolves once the broker confirmed them all; rejects like `publishInbound` (buffer, deadline)
   * if any was not. Not mandatory: a room nobody subscribes to is normal.
   */
  publishDeliveries (deliveries: readonly StoredDelivery[]): Promise<void>

  /**
   * Publishes an ephemeral event. Best effort: resolves when handed to the broker, and is dropped
   * (still resolving) while disconnected. Fails only when closed.
   */
  publishEvent (event: BusEvent): Promise<void>

  /**
   * Creates this edge instance's queue (exclusive, auto-deleted, bounded: `edgeQueueSpec`) and starts
   * delivering to `onDelivery`, synchronously and in arrival order; an exception it throws is logged and
   * does not stop the queue. Messages with a routing key it does not know are logged and dropped.
   */
  openEdgeQueue (instanceId: string, onDelivery: (delivery: EdgeDelivery) => void): Promise<EdgeQueue>

  /**
   * Takes up to `max` dead letters off `chat.dlq` (acknowledged: they leave the queue), oldest first.
   * For tests and operators. Rejects with `BusUnavailableError` while disconnected.
   */
  takeDeadLetters (max: number): Promise<readonly DeadLetter[]>

  /** True while connected (for readiness). The in-process bus is always connected until closed. */
  isConnected (): boolean

  /**
   * Closes consumers (their unacknowledged deliveries go back to the queues), edge queues, channels and
   * the connection. Pending publishes reject with `BusClosedError`, as does every later call. Idempotent.
   */
  close (): Promise<void>
}
