import { ExchangeName, Header, shardOf, shardRoutingKey } from '@chat/topology'
import type { InboundMessage } from '@chat/schemas'
import { randomUUID } from 'node:crypto'
import { eventRoutingKey } from './edge-routing.js'
import { DELIVERY_PACK_CONTENT_TYPE, deliveryRecordBytes, encodeDeliveryPack } from './delivery-pack.js'
import { INBOUND_PACK_CONTENT_TYPE, encodeInboundPack } from './inbound-pack.js'
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
 * Several client messages of one shard in one AMQP message (`inbound-pack.ts`). Persistent and mandatory
 * like a single one; `ShardConsumer` splits it into one delivery each.
 */
export function inboundPackEnvelope (messages: readonly InboundMessage[], shard: number): Envelope {
  return {
    exchange: ExchangeName.INBOUND,
    routingKey: shardRoutingKey(shard),
    body: encodeInboundPack(messages.map((m) => Buffer.from(JSON.stringify(m)))),
    properties: { messageId: randomUUID(), contentType: INBOUND_PACK_CONTENT_TYPE, persistent: true, headers: { [Header.RETRY_COUNT]: 0 } },
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

/** A pack holds at most this many messages or bytes; a larger batch becomes several packs. */
const MAX_PACK_MESSAGES = 512
const MAX_PACK_BYTES = 96 * 1024

/**
 * The envelopes of a dispatcher batch: the messages of each room, in order, packed into as few AMQP
 * messages as the limits allow (`delivery-pack.ts`). A lone message keeps the plain single form.
 */
export function deliveryEnvelopes (deliveries: readonly StoredDelivery[]): Envelope[] {
  const byRoom = new Map<string, StoredDelivery[]>()
  for (const d of deliveries) {
    const list = byRoom.get(d.roomId)
    if (list === undefined) byRoom.set(d.roomId, [d])
    else list.push(d)
  }
  const out: Envelope[] = []
  for (const [roomId, list] of byRoom) {
    let start = 0
    while (start < list.length) {
      let end = start
      let bytes = 0
      while (end < list.length && end - start < MAX_PACK_MESSAGES) {
        const size = deliveryRecordBytes(list[end] as StoredDelivery)
        if (end > start && bytes + size > MAX_PACK_BYTES) break
        bytes += size
        end++
      }
      const chunk = list.slice(start, end)
      out.push(chunk.length === 1 ? deliveryEnvelope(chunk[0] as StoredDelivery) : packEnvelope(roomId, chunk))
      start = end
    }
  }
  return out
}

function packEnvelope (roomId: string, chunk: readonly StoredDelivery[]): Envelope {
  return {
    exchange: ExchangeName.DELIVER,
    routingKey: eventRoutingKey({ kind: 'room', roomId }),
    body: encodeDeliveryPack(chunk),
    properties: { contentType: DELIVERY_PACK_CONTENT_TYPE, persistent: false, headers: { [Header.SEQ]: chunk[0]?.seq ?? 0 } },
  }
}
