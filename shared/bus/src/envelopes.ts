import { ExchangeName, Header, shardOf, shardRoutingKey } from '@chat/topology'
import type { InboundMessage } from '@chat/schemas'
import { eventRoutingKey } from './edge-routing.js'
import type { BusEvent, StoredDelivery } from './message-bus.js'

/** AMQP basic properties the bus sets (a subset of amqplib's `Options.Publish`). */
export interface PublishProperties {
  readonly messageId?: string
  readonly contentType?: string
  readonly persistent: boolean
  readonly headers: Readonly<Record<string, unknown>>
}

/** One message ready to publish, identical for every adapter. */
export interface Envelope {
  readonly exchange: string
  readonly routingKey: string
  readonly body: Buffer
  readonly properties: PublishProperties
}

const JSON_TYPE = 'application/json'

/** A client message on its way to its room's shard: persistent, JSON, `x-retry-count: 0`. */
export function inboundEnvelope (message: InboundMessage, shards: number): Envelope & { readonly shard: number } {
  const shard = shardOf(message.roomId, shards)
  return {
    shard,
    exchange: ExchangeName.INBOUND,
    routingKey: shardRoutingKey(shard),
    body: Buffer.from(JSON.stringify(message)),
    properties: { messageId: message.id, contentType: JSON_TYPE, persistent: true, headers: { [Header.RETRY_COUNT]: 0 } },
  }
}

/**
 * A stored message on its way to the edges. Not persistent: edge queues are transient, and a lost
 * delivery is recovered from the database by `since-seq`.
 */
export function deliveryEnvelope (d: StoredDelivery): Envelope {
  return {
    exchange: ExchangeName.DELIVER,
    routingKey: eventRoutingKey({ kind: 'room', roomId: d.roomId }),
    body: Buffer.from(d.body),
    properties: { messageId: d.id, contentType: JSON_TYPE, persistent: false, headers: { [Header.SEQ]: d.seq } },
  }
}

/** An ephemeral event on `chat.deliver`. */
export function eventEnvelope (event: BusEvent): Envelope {
  return {
    exchange: ExchangeName.DELIVER,
    routingKey: eventRoutingKey(event),
    body: Buffer.from(event.body),
    properties: { contentType: JSON_TYPE, persistent: false, headers: {} },
  }
}
