/** Names of the RabbitMQ objects of docs/rabbitmq.md. One place, so publishers and consumers never disagree. */
export const ExchangeName = {
  /** Direct exchange: client messages, routed by `shard.{k}` to their room's shard queue. */
  INBOUND: 'chat.inbound',
  /** Topic exchange: stored messages and ephemeral events, routed to the edges. */
  DELIVER: 'chat.deliver',
  /** Fanout exchange: dead letters, routed to `chat.dlq`. */
  DEAD_LETTER: 'chat.dlx',
} as const

export const DEAD_LETTER_QUEUE = 'chat.dlq'

/** The quorum queue of shard `k`. */
export function shardQueueName (k: number): string {
  return `chat.room.shard.${k}`
}

/** The routing key on `chat.inbound` that reaches shard `k`. */
export function shardRoutingKey (k: number): string {
  return `shard.${k}`
}

/** The delay queue (and its fanout exchange of the same name) that holds retries for `delayMs`. */
export function retryQueueName (delayMs: number): string {
  return delayMs % 1000 === 0 ? `chat.retry.${delayMs / 1000}s` : `chat.retry.${delayMs}ms`
}

/** The queue through which one edge instance receives what its sessions subscribe to. */
export function edgeQueueName (instanceId: string): string {
  return `edge.${instanceId}`
}

/**
 * Stable shard of a room: FNV-1a (32 bit) of the room id, modulo the shard count.
 * Every publisher must compute the same value, so it is defined here and nowhere else.
 */
export function shardOf (roomId: string, shards: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < roomId.length; i++) {
    h ^= roomId.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % shards
}

/** Routing keys on `chat.deliver`. Room and user ids never contain a dot, so one word each. */
export const DeliverKey = {
  /** A stored message of a room. */
  room: (roomId: string): string => `room.${roomId}`,
  /** A join or leave in a room's presence. */
  presence: (roomId: string): string => `presence.${roomId}`,
  /** A typing indicator in a room: ephemeral. */
  typing: (roomId: string): string => `typing.${roomId}`,
  /** An event for one user: unread counts, invitations. */
  user: (userId: string): string => `user.${userId}`,
  /** A membership change of a room: edges drop their cache and re-check subscriptions. */
  members: (roomId: string): string => `members.${roomId}`,
  /** The binding every edge holds for membership changes of all rooms. */
  ALL_MEMBERS: 'members.*',
} as const

/** AMQP headers this system reads and writes. */
export const Header = {
  /** Retries already made of a message (0 or absent on the first attempt). */
  RETRY_COUNT: 'x-retry-count',
  /** Why a message was dead-lettered. */
  DEATH_REASON: 'x-death-reason',
  /** The shard a dead letter came from. */
  ORIGIN_SHARD: 'x-origin-shard',
  /** The room sequence number of a stored message on `chat.deliver`. */
  SEQ: 'seq',
} as const
