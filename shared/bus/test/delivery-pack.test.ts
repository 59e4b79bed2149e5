import { test } from 'node:test'
import assert from 'node:assert/strict'
import { newId } from '@chat/schemas'
import { deliveryEnvelopes } from '../src/envelopes.js'
import { edgeDeliveriesOf } from '../src/edge-routing.js'
import { PACK_CONTENT_TYPE } from '../src/delivery-pack.js'

const stored = (roomId: string, seq: number, body = `{"seq":${seq}}`): { roomId: string, seq: number, id: string, body: string } => ({ roomId, seq, id: newId(), body })

await test('a batch becomes one pack per room; a lone message keeps the single form', () => {
  const [a, b] = [newId(), newId()]
  const envelopes = deliveryEnvelopes([stored(a, 1), stored(b, 1), stored(a, 2), stored(a, 3)])
  assert.deepEqual(envelopes.map((e) => [e.routingKey, e.properties.contentType]), [[`room.${a}`, PACK_CONTENT_TYPE], [`room.${b}`, 'application/json']])
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
    assert.deepEqual(edgeDeliveriesOf(e.routingKey, undefined, {}, PACK_CONTENT_TYPE, e.body.subarray(0, cut)), [])
  }
  assert.deepEqual(edgeDeliveriesOf(`presence.${a}`, undefined, {}, PACK_CONTENT_TYPE, e.body), [])
})
