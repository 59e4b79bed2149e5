import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeInboundMessage, decodeSendBody, encodeChatMessage, isUuid, newId, type ChatMessage } from '../src/index.js'

const inbound = {
  v: 1,
  id: newId(),
  roomId: newId(),
  senderId: newId(),
  senderName: 'alice',
  type: 'TALK',
  content: 'héllo 🎉',
  clientMsgId: 'c-1',
  sentAt: new Date().toISOString(),
}

test('newId makes distinct, time-ordered UUIDv7s', () => {
  const ids = Array.from({ length: 1_000 }, () => newId())
  assert.equal(new Set(ids).size, ids.length)
  for (const id of ids) {
    assert.ok(isUuid(id), id)
    assert.equal(id[14], '7', 'version 7')
    assert.ok('89ab'.includes(id[19] ?? ''), 'RFC 9562 variant')
  }
  const ms = Number.parseInt((ids[0] ?? '').replace('-', '').slice(0, 12), 16)
  assert.ok(Math.abs(ms - Date.now()) < 5_000, 'the first 48 bits are the time in ms')
  const later = newId()
  assert.ok(later.slice(0, 13) >= (ids[0] ?? '').slice(0, 13), 'ids sort by time')
})

test('an inbound envelope decodes from bytes and from text', () => {
  assert.deepEqual(decodeInboundMessage(Buffer.from(JSON.stringify(inbound))), { ok: true, value: inbound })
  assert.deepEqual(decodeInboundMessage(JSON.stringify(inbound)), { ok: true, value: inbound })
})

test('a bad envelope is an error result, never a throw', () => {
  for (const bad of [
    '{not json',
    '',
    'null',
    '[]',
    JSON.stringify({ ...inbound, v: 2 }),
    JSON.stringify({ ...inbound, extra: true }),
    JSON.stringify({ ...inbound, roomId: 'room-1' }),
    JSON.stringify({ ...inbound, type: 'SHOUT' }),
    JSON.stringify({ ...inbound, content: 'x'.repeat(8_001) }),
    JSON.stringify({ ...inbound, content: 'a\u0000b' }),
    JSON.stringify({ ...inbound, clientMsgId: 'has space' }),
    JSON.stringify({ ...inbound, sentAt: 'yesterday' }),
  ]) {
    const r = decodeInboundMessage(bad)
    assert.equal(r.ok, false, bad.slice(0, 60))
  }
})

test('a client send body: content 1..8000 characters, type only TALK, clientMsgId by pattern, nothing else', () => {
  assert.deepEqual(decodeSendBody('{"content":"hi"}'), { ok: true, value: { content: 'hi' } })
  assert.equal(decodeSendBody(JSON.stringify({ content: '€'.repeat(8_000), type: 'TALK', clientMsgId: 'a.b:c_d-e' })).ok, true)
  for (const bad of ['{"content":""}', '{"content":"x","type":"ENTER"}', '{"content":"x","extra":1}', '{"content":5}', '{}', '"x"', 'x']) {
    assert.equal(decodeSendBody(bad).ok, false, bad)
  }
})

test('encodeChatMessage writes the fields in a fixed order, and parses back to the message', () => {
  const m: ChatMessage = { id: inbound.id, roomId: inbound.roomId, seq: 3, senderId: inbound.senderId, senderName: 'alice', type: 'TALK', content: '"quoted"\n', clientMsgId: 'c-1', sentAt: inbound.sentAt }
  const text = encodeChatMessage(m)
  assert.deepEqual(Object.keys(JSON.parse(text) as object), ['id', 'roomId', 'seq', 'senderId', 'senderName', 'type', 'content', 'clientMsgId', 'sentAt'])
  assert.deepEqual(JSON.parse(text), m)
})
