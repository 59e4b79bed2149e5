/** Content type of an AMQP message that packs several stored messages of one room (see `deliveryEnvelopes`). */
export const PACK_CONTENT_TYPE = 'application/vnd.stomp-chat.deliveries'
/** Content type of an AMQP message that packs several inbound client messages of one shard (see `inboundPackEnvelope`). */
export const INBOUND_PACK_CONTENT_TYPE = 'application/vnd.stomp-chat.inbound'

/** Bodies of the records of an inbound pack (u32 length, then the bytes), or undefined when malformed. */
export function unpackInbound (body: Buffer): Buffer[] | undefined {
  const out: Buffer[] = []
  let at = 0
  while (at < body.length) {
    if (at + 4 > body.length) return undefined
    const length = body.readUInt32BE(at)
    at += 4
    if (at + length > body.length) return undefined
    out.push(body.subarray(at, at + length))
    at += length
  }
  return out.length === 0 ? undefined : out
}
