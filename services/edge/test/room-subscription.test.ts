import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RoomSubscription, ackId, parseAckId } from '../src/session/subscriptions.js'
import { FrameOwner, ROOM, feedMessage } from './fakes.js'

// RoomSubscription unit tests: one session's stream of a room, handing each seq to the client once and in order:
// a since-seq backfill from the database first (live deliveries held meanwhile), then the live stream.

test('live: MESSAGE frames in order with the subscription id; seqs at or below where it started are dropped', () => {
  const owner = new FrameOwner()
  const sub = new RoomSubscription(owner, 'sub-1', ROOM, 'auto', 0, false)
  sub.startAfter(4)
  for (const seq of [3, 4, 5, 6, 6, 5, 7]) sub.deliver(feedMessage(seq))
  assert.deepEqual(owner.seqs, [5, 6, 7])
  assert.equal(sub.lastSent, 7)
  const first = owner.frames[0]
  assert.equal(first?.command, 'MESSAGE')
  assert.equal(first?.headers.subscription, 'sub-1')
  assert.equal(first?.headers.destination, `/topic/rooms.${ROOM}`)
  assert.equal(first?.headers.ack, undefined, 'no ack header in auto mode')
})

test('client ack modes: each MESSAGE names its read marker in the ack header', () => {
  for (const mode of ['client', 'client-individual'] as const) {
    const owner = new FrameOwner()
    const sub = new RoomSubscription(owner, 's', ROOM, mode, 0, false)
    sub.deliver(feedMessage(1))
    assert.equal(owner.frames[0]?.headers.ack, `${ROOM}:1`)
    assert.deepEqual(parseAckId(owner.frames[0]?.headers.ack ?? ''), { roomId: ROOM, seq: 1 })
  }
})

test('backfill: live deliveries wait; the backfill goes first, then what was held beyond it, without duplicates', () => {
  const owner = new FrameOwner()
  const sub = new RoomSubscription(owner, 's', ROOM, 'auto', 0, true)
  sub.startAfter(2)
  // 1. Live deliveries arrive while the database is read.
  sub.deliver(feedMessage(5))
  sub.deliver(feedMessage(6))
  assert.deepEqual(owner.seqs, [])
  // 2. The backfill (3..5) goes out.
  for (const seq of [3, 4, 5]) sub.writeBackfilled(feedMessage(seq), true)
  assert.deepEqual(owner.seqs, [3, 4, 5])
  // 3. Then the held ones beyond it: 5 was already sent.
  assert.equal(sub.finishBackfill(), true)
  assert.equal(sub.isBackfilling, false)
  assert.deepEqual(owner.seqs, [3, 4, 5, 6])
  sub.deliver(feedMessage(7))
  assert.deepEqual(owner.seqs, [3, 4, 5, 6, 7])
})

test('a backfill cut at the recovery limit marks its frames x-recovered:false; the live ones after it are not marked', () => {
  const owner = new FrameOwner()
  const sub = new RoomSubscription(owner, 's', ROOM, 'client', 0, true)
  sub.startAfter(0)
  sub.writeBackfilled(feedMessage(201), false)
  sub.writeBackfilled(feedMessage(202), false)
  sub.finishBackfill()
  sub.deliver(feedMessage(203))
  assert.deepEqual(owner.frames.map((f) => [f.headers.seq, f.headers['x-recovered'], f.headers.ack]), [
    ['201', 'false', `${ROOM}:201`],
    ['202', 'false', `${ROOM}:202`],
    ['203', undefined, `${ROOM}:203`],
  ])
})

test('past 10,000 held deliveries the backfill must run again from where it got to', () => {
  const owner = new FrameOwner()
  const sub = new RoomSubscription(owner, 's', ROOM, 'auto', 0, true)
  sub.startAfter(0)
  for (let seq = 2; seq <= 10_002; seq++) sub.deliver(feedMessage(seq)) // 10,001 held: one too many
  sub.writeBackfilled(feedMessage(1), true)
  assert.equal(sub.finishBackfill(), false, 'the caller backfills again')
  assert.equal(sub.isBackfilling, true)
  assert.equal(sub.lastSent, 1)
  // 2. The second round reads the rest from the database.
  for (let seq = 2; seq <= 10_002; seq++) sub.writeBackfilled(feedMessage(seq), true)
  assert.equal(sub.finishBackfill(), true)
  assert.equal(owner.frames.length, 10_002)
  assert.deepEqual(owner.seqs.slice(-2), [10_001, 10_002])
})

test('a closed subscription writes nothing more', () => {
  const owner = new FrameOwner()
  const sub = new RoomSubscription(owner, 's', ROOM, 'auto', 0, false)
  sub.deliver(feedMessage(1))
  sub.close()
  sub.deliver(feedMessage(2))
  sub.writeBackfilled(feedMessage(3), true)
  assert.deepEqual(owner.seqs, [1])
})

test('one serialized frame per STOMP version: 1.0 and 1.1 sessions get it unescaped and unchanged', () => {
  for (const version of ['1.0', '1.1', '1.2'] as const) {
    const owner = new FrameOwner(version)
    new RoomSubscription(owner, 'a:b', ROOM, 'auto', 0, false).deliver(feedMessage(1))
    assert.equal(owner.frames[0]?.headers.seq, '1')
    assert.equal(JSON.parse(owner.bodies()[0] ?? '{}').seq, 1)
  }
})

test('ack ids: {roomId}:{seq} round-trips; anything else names no read marker', () => {
  assert.equal(ackId(ROOM, 42), `${ROOM}:42`)
  assert.deepEqual(parseAckId(ackId(ROOM, 42)), { roomId: ROOM, seq: 42 })
  for (const bad of ['', ':1', `${ROOM}`, `${ROOM}:`, `${ROOM}:-1`, `${ROOM}:1.5`, `${ROOM}:x`]) {
    assert.equal(parseAckId(bad), undefined, bad)
  }
})
