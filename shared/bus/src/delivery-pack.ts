/**
 * The delivery pack: stored messages of one room in one AMQP message on `chat.deliver`, so the broker
 * routes one message per room per dispatcher batch rather than one per chat message. Records of `seq`
 * (u32 big-endian), id length (u8), id (ASCII), body length (u32 big-endian), body (the stored message's
 * JSON, UTF-8): binary, so an edge splits it without parsing JSON. Written by the dispatcher's side
 * (`deliveryEnvelopes`), split by the edge queue (`edgeDeliveriesOf`).
 */
export const DELIVERY_PACK_CONTENT_TYPE = 'application/vnd.stomp-chat.deliveries'

/** One record of a delivery pack. */
export interface DeliveryRecord {
  /** 0 .. 2^32-1. */
  readonly seq: number
  /** At most 255 bytes of Latin-1 (a UUID). */
  readonly id: string
  readonly body: string
}

/** A decoded record, as the edge handles it: the body is a slice of the pack, untouched. */
export interface DecodedDeliveryRecord {
  readonly kind: 'room'
  readonly roomId: string
  readonly seq: number
  readonly id: string
  readonly body: Buffer
}

/** Bytes a record takes in a pack. */
export function deliveryRecordBytes (r: DeliveryRecord): number {
  return 9 + Buffer.byteLength(r.id, 'latin1') + Buffer.byteLength(r.body, 'utf8')
}

/** One buffer holding every record, in order. */
export function encodeDeliveryPack (records: readonly DeliveryRecord[]): Buffer {
  let bytes = 0
  for (const r of records) bytes += deliveryRecordBytes(r)
  const body = Buffer.allocUnsafe(bytes)
  let at = 0
  for (const r of records) {
    at = body.writeUInt32BE(r.seq, at)
    const idLength = body.write(r.id, at + 1, 'latin1')
    body.writeUInt8(idLength, at)
    at += 1 + idLength
    const bodyLength = body.write(r.body, at + 4, 'utf8')
    body.writeUInt32BE(bodyLength, at)
    at += 4 + bodyLength
  }
  return body.subarray(0, at)
}

/**
 * The records of a pack of room `roomId` (its routing key names it), in order; undefined when it is malformed
 * (truncated, or a length past the end).
 */
export function decodeDeliveryPack (roomId: string, body: Buffer): DecodedDeliveryRecord[] | undefined {
  const out: DecodedDeliveryRecord[] = []
  let at = 0
  while (at < body.length) {
    if (at + 5 > body.length) return undefined
    const seq = body.readUInt32BE(at)
    const idLength = body.readUInt8(at + 4)
    at += 5
    if (at + idLength + 4 > body.length) return undefined
    const id = body.toString('latin1', at, at + idLength)
    at += idLength
    const bodyLength = body.readUInt32BE(at)
    at += 4
    if (at + bodyLength > body.length) return undefined
    out.push({ kind: 'room', roomId, seq, id, body: body.subarray(at, at + bodyLength) })
    at += bodyLength
  }
  return out
}
