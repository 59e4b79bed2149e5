import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { INBOUND_PACK_CONTENT_TYPE, decodeInboundPack, encodeInboundPack } from '../src/inbound-pack.js'
import { inboundPackEnvelope } from '../src/envelopes.js'
import { message } from './helpers.js'

const records = fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 40 })

await test('inbound pack: decode(encode(records)) gives the records back, byte for byte (property)', () => {
  fc.assert(fc.property(records, (rs) => {
    const decoded = decodeInboundPack(encodeInboundPack(rs))
    assert.deepEqual(decoded?.map((b) => [...b]), rs.map((r) => [...r]))
  }), { numRuns: 300 })
})

await test('inbound pack: a pack cut inside a record is malformed (property)', () => {
  fc.assert(fc.property(records, fc.nat(), (rs, cutAt) => {
    const body = encodeInboundPack(rs)
    const cut = cutAt % body.length
    const decoded = decodeInboundPack(body.subarray(0, cut))
    if (decoded === undefined) return
    assert.deepEqual(decoded.map((b) => [...b]), rs.slice(0, decoded.length).map((r) => [...r]), 'a cut between records keeps the records before it')
  }), { numRuns: 300 })
  assert.equal(decodeInboundPack(Buffer.alloc(0)), undefined, 'an empty pack is malformed')
})

await test('an inbound pack envelope carries each message\'s JSON as a record', () => {
  const ms = [message('r', 'a'), message('r', 'b')]
  const e = inboundPackEnvelope(ms, 2)
  assert.equal(e.properties.contentType, INBOUND_PACK_CONTENT_TYPE)
  assert.equal(e.routingKey, 'shard.2')
  assert.deepEqual(decodeInboundPack(e.body)?.map((b) => JSON.parse(b.toString()) as unknown), ms)
})
