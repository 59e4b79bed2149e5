import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { newId } from '@chat/schemas'
import { deliveryEnvelopes } from '../src/envelopes.js'
import { edgeDeliveriesOf } from '../src/edge-routing.js'
import { DELIVERY_PACK_CONTENT_TYPE, decodeDeliveryPack, encodeDeliveryPack } from '../src/delivery-pack.js'

const stored = (roomId: string, seq: number, body = `{"seq":${seq}}`): { roomId: string, seq: number, id: string, body: string } => ({ roomId, seq, id: newId(), body })

const record = fc.record({
  seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  id: fc.oneof(fc.uuid(), fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 255 })),
  body: fc.string({ unit: 'grapheme', maxLength: 300 }),
})

await test('delivery pack: decode(encode(records)) gives the records back, bodies byte for byte (property)', () => {
  fc.assert(fc.property(fc.array(record, { maxLength: 40 }), (records) => {
    const decoded = decodeDeliveryPack('room-1', encodeDeliveryPack(records))
    assert.deepEqual(decoded, records.map((r) => ({ kind: 'room', roomId: 'room-1', seq: r.seq, id: r.id, body: Buffer.from(r.body) })))
  }), { numRuns: 300 })
})

await test('delivery pack: every strict prefix of a pack is malformed or a shorter list, never garbage (property)', () => {
  fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.nat(), (records, cutAt) => {
    const body = encodeDeliveryPack(records)
    const cut = cutAt % body.length
    const decoded = decodeDeliveryPack('r', body.subarray(0, cut))
    if (decoded === undefined) return
    // A cut that falls between records decodes to the records before it.
    assert.deepEqual(decoded, decodeDeliveryPack('r', body)?.slice(0, decoded.length))
  }), { numRuns: 300 })
})

await test('a batch becomes one pack per room; a lone message keeps the single form', () => {
  const [a, b] = [newId(), newId()]
  const envelopes = deliveryEnvelopes([stored(a, 1), stored(b, 1), stored(a, 2), stored(a, 3)])
  assert.deepEqual(envelopes.map((e) => [e.routingKey, e.properties.contentType]), [[`room.${a}`, DELIVERY_PACK_CONTENT_TYPE], [`room.${b}`, 'application/json']])
})

await test('a pack unpacks to the same deliveries, bodies byte for byte', () => {
  const a = newId()
  const batch = [stored(a, 7, '{"content":"é𝄞"}'), stored(a, 8, ''), stored(a, 9, 'x'.repeat(5000))]
  const [e] = deliveryEnvelopes(batch)
  assert.ok(e !== undefined)
  const out = edgeDeliveriesOf(e.routingKey, e.properties.messageId, e.properties.headers, e.properties.contentType, e.body)
  assert.deepEqual(out, batch.map((d) => ({ kind: 'room', roomId: a, seq: d.seq, id: d.id, body: Buffer.from(d.body) })))
})

await test('packs respect their size limit: a batch larger than one pack becomes several, in order', () => {
  const a = newId()
  const batch = Array.from({ length: 100 }, (_, i) => stored(a, i + 1, 'y'.repeat(4_000)))
  const envelopes = deliveryEnvelopes(batch)
  assert.ok(envelopes.length > 1)
  for (const e of envelopes) assert.ok(e.body.length <= 96 * 1024)
  const seqs = envelopes.flatMap((e) => edgeDeliveriesOf(e.routingKey, e.properties.messageId, e.properties.headers, e.properties.contentType, e.body)).map((d) => d.kind === 'room' ? d.seq : -1)
  assert.deepEqual(seqs, batch.map((d) => d.seq))
})

await test('a truncated or foreign pack yields nothing rather than garbage', () => {
  const a = newId()
  const [e] = deliveryEnvelopes([stored(a, 1), stored(a, 2)])
  assert.ok(e !== undefined)
  for (const cut of [1, 5, 20, e.body.length - 1]) {
    assert.deepEqual(edgeDeliveriesOf(e.routingKey, undefined, {}, DELIVERY_PACK_CONTENT_TYPE, e.body.subarray(0, cut)), [])
  }
  assert.deepEqual(edgeDeliveriesOf(`presence.${a}`, undefined, {}, DELIVERY_PACK_CONTENT_TYPE, e.body), [])
})
