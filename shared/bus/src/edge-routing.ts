import { DELIVERY_PACK_CONTENT_TYPE, decodeDeliveryPack } from './delivery-pack.js'
import { DeliverKey, Header } from '@chat/topology'
import type { EdgeDelivery, EdgeTopic } from './message-bus.js'

/** Something routed on `chat.deliver`: a stored message of a room, or an event. */
export type DeliverTarget =
  | { readonly kind: 'room' | 'presence' | 'typing' | 'members', readonly roomId: string }
  | { readonly kind: 'user', readonly userId: string }

/** The routing key on `chat.deliver` of a room's messages or of an event. */
export function eventRoutingKey (target: DeliverTarget): string {
  switch (target.kind) {
    case 'room': return DeliverKey.room(target.roomId)
    case 'presence': return DeliverKey.presence(target.roomId)
    case 'typing': return DeliverKey.typing(target.roomId)
    case 'members': return DeliverKey.members(target.roomId)
    case 'user': return DeliverKey.user(target.userId)
  }
}

/** The binding key that routes a topic to an edge queue (`all-members` binds `members.*`). */
export function edgeBindingKey (topic: EdgeTopic): string {
  return topic.kind === 'all-members' ? DeliverKey.ALL_MEMBERS : eventRoutingKey(topic)
}

/**
 * Maps a message arriving at an edge queue to what the edge handles, by its routing key. Undefined for
 * a key this bus does not publish, or a room message without a message id or an integer `seq`.
 * The body is passed through untouched: the edge writes those bytes as the MESSAGE body.
 */
export function edgeDeliveryOf (
  routingKey: string,
  messageId: string | undefined,
  headers: Readonly<Record<string, unknown>> | undefined,
  body: Buffer,
): EdgeDelivery | undefined {
  const dot = routingKey.indexOf('.')
  if (dot <= 0 || dot === routingKey.length - 1) return undefined
  const kind = routingKey.slice(0, dot)
  const id = routingKey.slice(dot + 1)
  switch (kind) {
    case 'room': {
      const seq = headers?.[Header.SEQ]
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || messageId === undefined || messageId === '') return undefined
      return { kind: 'room', roomId: id, seq, id: messageId, body }
    }
    case 'presence':
    case 'typing':
    case 'members':
      return { kind, roomId: id, body }
    case 'user':
      return { kind: 'user', userId: id, body }
    default:
      return undefined
  }
}

/**
 * Every delivery an edge-queue message carries: one, or the records of a pack (`deliveryEnvelopes`), in
 * order. The bodies are slices of the message: no copy, no JSON parsing. Empty when the message is
 * unknown or a pack is malformed.
 */
export function edgeDeliveriesOf (
  routingKey: string,
  messageId: string | undefined,
  headers: Readonly<Record<string, unknown>> | undefined,
  contentType: string | undefined,
  body: Buffer,
): EdgeDelivery[] {
  if (contentType !== DELIVERY_PACK_CONTENT_TYPE) {
    const d = edgeDeliveryOf(routingKey, messageId, headers, body)
    return d === undefined ? [] : [d]
  }
  if (!routingKey.startsWith('room.') || routingKey.length <= 5) return []
  return decodeDeliveryPack(routingKey.slice(5), body) ?? []
}
