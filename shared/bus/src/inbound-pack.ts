/**
 * The inbound pack: several client messages of one shard in one AMQP message, so RabbitMQ stores,
 * replicates and confirms one message for all the SENDs an edge received in one turn of its event loop.
 * Records of a u32 (big-endian) length and that many bytes (a message's JSON), back to back.
 * Written by the publishing side (`inboundPackEnvelope`), split by `ShardConsumer` into one delivery each.
 */
export const INBOUND_PACK_CONTENT_TYPE = 'application/vnd.stomp-chat.inbound'

/** One buffer holding every record, in order. */
export function encodeInboundPack (records: readonly Uint8Array[]): Buffer {
  let bytes = 0
  for (const r of records) bytes += 4 + r.length
  const body = Buffer.allocUnsafe(bytes)
  let at = 0
  for (const r of records) {
    at = body.writeUInt32BE(r.length, at)
    body.set(r, at)
    at += r.length
  }
  return body
}

/** The records of a pack (slices of `body`, no copy), in order; undefined when it is empty or malformed. */
export function decodeInboundPack (body: Buffer): Buffer[] | undefined {
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
