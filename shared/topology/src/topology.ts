import { DEAD_LETTER_QUEUE, ExchangeName, edgeQueueName, retryQueueName, shardQueueName, shardRoutingKey } from './names.js'

export interface ExchangeSpec {
  readonly name: string
  readonly type: 'direct' | 'topic' | 'fanout'
  readonly durable: boolean
}

export interface QueueSpec {
  readonly name: string
  readonly durable: boolean
  readonly exclusive?: boolean
  readonly autoDelete?: boolean
  /** Queue arguments passed to `queue.declare` (x-queue-type, x-single-active-consumer, …). */
  readonly arguments: Readonly<Record<string, string | number | boolean>>
}

export interface BindingSpec {
  readonly queue: string
  readonly exchange: string
  readonly routingKey: string
}

export interface Topology {
  readonly exchanges: readonly ExchangeSpec[]
  readonly queues: readonly QueueSpec[]
  readonly bindings: readonly BindingSpec[]
}

export interface TopologyOptions {
  /** Room shard queues. Every publisher and dispatcher must agree on it. @default 16 */
  readonly shards: number
  /** Delays of the retry queues, shortest first; retry n waits `retryDelaysMs[min(n, last)]`. @default [1_000, 5_000, 30_000] */
  readonly retryDelaysMs: readonly number[]
  /**
   * Replicas of each quorum queue (shards, delay queues, the dead letters), placed when the queue is created
   * (`x-quorum-initial-group-size`): a cluster with fewer nodes gets one on every node. Three survive the loss
   * of any one node. An existing queue keeps its placement (docs/rabbitmq.md, rebalancing). @default 3
   */
  readonly quorumSize?: number
}

export const DEFAULT_TOPOLOGY_OPTIONS: TopologyOptions = { shards: 16, retryDelaysMs: [1_000, 5_000, 30_000], quorumSize: 3 }

/** The argument that places a quorum queue's replicas; the only one an existing queue may lack (see `withoutPlacement`). */
export const QUORUM_SIZE_ARGUMENT = 'x-quorum-initial-group-size'

/**
 * The durable part of the topology: everything but the per-edge queues. Declared idempotently by every
 * process on every (re)connect; declaring an object that exists with the same arguments is a no-op, and
 * with different arguments a channel error (PRECONDITION_FAILED), which is what we want: a silent mismatch
 * would break ordering or dead-lettering.
 */
export function buildTopology (opts: TopologyOptions = DEFAULT_TOPOLOGY_OPTIONS): Topology {
  const exchanges: ExchangeSpec[] = [
    { name: ExchangeName.INBOUND, type: 'direct', durable: true },
    { name: ExchangeName.DELIVER, type: 'topic', durable: true },
    { name: ExchangeName.DEAD_LETTER, type: 'fanout', durable: true },
  ]
  const queues: QueueSpec[] = []
  const bindings: BindingSpec[] = []
  const quorum = { 'x-queue-type': 'quorum', [QUORUM_SIZE_ARGUMENT]: opts.quorumSize ?? 3 } as const
  for (let k = 0; k < opts.shards; k++) {
    const name = shardQueueName(k)
    queues.push({
      name,
      durable: true,
      arguments: {
        ...quorum,
        'x-single-active-consumer': true,
        'x-dead-letter-exchange': ExchangeName.DEAD_LETTER,
        // At-least-once dead-lettering (RabbitMQ >= 3.10) needs reject-publish overflow.
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    })
    bindings.push({ queue: name, exchange: ExchangeName.INBOUND, routingKey: shardRoutingKey(k) })
  }
  for (const delayMs of opts.retryDelaysMs) {
    const name = retryQueueName(delayMs)
    // A fanout exchange per delay keeps the message's routing key (`shard.{k}`), so when its TTL
    // expires it is dead-lettered back to `chat.inbound` and lands in the same shard again.
    exchanges.push({ name, type: 'fanout', durable: true })
    queues.push({
      name,
      durable: true,
      arguments: {
        ...quorum,
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': ExchangeName.INBOUND,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    })
    bindings.push({ queue: name, exchange: name, routingKey: '' })
  }
  queues.push({ name: DEAD_LETTER_QUEUE, durable: true, arguments: { ...quorum } })
  bindings.push({ queue: DEAD_LETTER_QUEUE, exchange: ExchangeName.DEAD_LETTER, routingKey: '' })
  return { exchanges, queues, bindings }
}

/**
 * The queue of one edge instance. Exclusive and auto-deleted: it dies with the edge's connection, and
 * the edge fills what it missed from PostgreSQL (deliveries to edges are at-least-once and gap-filled).
 * Bounded so a stalled edge cannot fill the broker; the dropped head is recovered the same way.
 */
export function edgeQueueSpec (instanceId: string): QueueSpec {
  return {
    name: edgeQueueName(instanceId),
    durable: false,
    exclusive: true,
    autoDelete: true,
    arguments: { 'x-queue-type': 'classic', 'x-max-length': 100_000, 'x-overflow': 'drop-head' },
  }
}

/**
 * `spec` without its replica placement: how a queue created before `x-quorum-initial-group-size` was declared
 * must be declared again (RabbitMQ refuses a declaration whose arguments differ from the queue's, this one too).
 */
export function withoutPlacement (spec: QueueSpec): QueueSpec {
  if (!(QUORUM_SIZE_ARGUMENT in spec.arguments)) return spec
  const { [QUORUM_SIZE_ARGUMENT]: _placement, ...rest } = spec.arguments
  return { ...spec, arguments: rest }
}

/**
 * The queue named by a PRECONDITION_FAILED that differs from our declaration only in the replica placement, as
 * RabbitMQ words it ("inequivalent arg 'x-quorum-initial-group-size' for queue 'q' … current is none"): a queue
 * created by an earlier version. Undefined for any other error, a real mismatch.
 */
export function queueWithoutPlacement (err: unknown): string | undefined {
  const text = err instanceof Error ? err.message : String(err)
  const m = /inequivalent arg 'x-quorum-initial-group-size' for queue '([^']+)'.*current is none/.exec(text)
  return m?.[1]
}

/** The channel operations `assertTopology` needs; amqplib's Channel satisfies it. */
export interface TopologyChannel {
  assertExchange (name: string, type: string, options: { durable: boolean }): Promise<unknown>
  assertQueue (name: string, options: { durable: boolean, exclusive?: boolean, autoDelete?: boolean, arguments?: Record<string, unknown> }): Promise<unknown>
  bindQueue (queue: string, exchange: string, routingKey: string): Promise<unknown>
}

/** Declares every exchange, queue and binding of `topology`. Idempotent. */
export async function assertTopology (channel: TopologyChannel, topology: Topology): Promise<void> {
  for (const e of topology.exchanges) await channel.assertExchange(e.name, e.type, { durable: e.durable })
  for (const q of topology.queues) await assertQueueSpec(channel, q)
  for (const b of topology.bindings) await channel.bindQueue(b.queue, b.exchange, b.routingKey)
}

export async function assertQueueSpec (channel: TopologyChannel, q: QueueSpec): Promise<void> {
  await channel.assertQueue(q.name, {
    durable: q.durable,
    ...(q.exclusive === undefined ? {} : { exclusive: q.exclusive }),
    ...(q.autoDelete === undefined ? {} : { autoDelete: q.autoDelete }),
    arguments: { ...q.arguments },
  })
}
