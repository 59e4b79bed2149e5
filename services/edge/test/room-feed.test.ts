import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@chat/testing'
import { silentLogger } from '@chat/observability'
import { RoomFeed } from '../src/delivery/room-feed.js'
import { FakeMessages, ROOM, SeqSink, feedMessage, recordingLogger } from './fakes.js'

// RoomFeed unit tests: what hands every stored message of a room to the edge's subscribers once and in seq order,
// although the bus delivers at least once, possibly out of order or with holes. The database is a fake.

function feedOver (store: FakeMessages, extra: { log?: ReturnType<typeof recordingLogger>['log'], retryDelayMs?: number } = {}): { feed: RoomFeed, sink: SeqSink, counts: { duplicates: number, filled: number } } {
  const counts = { duplicates: 0, filled: 0 }
  const feed = new RoomFeed(ROOM, {
    store,
    log: extra.log ?? silentLogger,
    onDuplicate: () => { counts.duplicates++ },
    onGapFilled: (n) => { counts.filled += n },
    retryDelayMs: extra.retryDelayMs ?? 10,
  })
  const sink = new SeqSink()
  feed.addSink(sink)
  return { feed, sink, counts }
}

test('start takes the room\'s last seq as history: only later seqs are delivered, in order', async (t) => {
  const store = new FakeMessages(5)
  const { feed, sink } = feedOver(store)
  t.after(() => feed.close())
  await feed.start()
  assert.equal(feed.lastSeq, 5)
  for (const seq of [6, 7, 8]) feed.push(feedMessage(seq))
  assert.deepEqual(sink.seqs, [6, 7, 8])
})

test('a seq already delivered is dropped and counted, before and after it was handed out', async (t) => {
  const { feed, sink, counts } = feedOver(new FakeMessages(2))
  t.after(() => feed.close())
  await feed.start()
  feed.push(feedMessage(2)) // history
  feed.push(feedMessage(3))
  feed.push(feedMessage(3))
  feed.push(feedMessage(5)) // waits for 4
  feed.push(feedMessage(5)) // a duplicate of a held one
  assert.deepEqual(sink.seqs, [3])
  assert.equal(counts.duplicates, 3)
})

test('out of order deliveries are held and handed out in order once the gap closes', async (t) => {
  const store = new FakeMessages(1)
  store.visibleUpTo = 1 // 2 and 3 are not readable yet: only the bus can close the gap
  const { feed, sink } = feedOver(store, { retryDelayMs: 60_000 }) // not waiting for the next database read
  t.after(() => feed.close())
  await feed.start()
  feed.push(feedMessage(3))
  assert.deepEqual(sink.seqs, [])
  feed.push(feedMessage(2)) // while the feed looks for 2 in the database
  await waitFor(() => sink.seqs.length === 2, { what: 'the held deliveries' })
  assert.deepEqual(sink.seqs, [2, 3])
})

test('a gap the bus does not close is filled from the database, in order, and counted', async (t) => {
  const store = new FakeMessages(2)
  const { feed, sink, counts } = feedOver(store)
  t.after(() => feed.close())
  await feed.start()
  store.add(4) // seqs 3..6 stored; the bus lost 3, 4 and 5
  feed.push(feedMessage(6))
  await waitFor(() => sink.seqs.length === 4, { what: 'the gap filled' })
  assert.deepEqual(sink.seqs, [3, 4, 5, 6])
  assert.equal(counts.filled, 4, '6 came in the same page as the gap')
})

test('a gap not yet visible in the database is read again shortly, never skipped', async (t) => {
  const store = new FakeMessages(1)
  const { feed, sink } = feedOver(store)
  t.after(() => feed.close())
  await feed.start()
  store.add(2)
  store.visibleUpTo = 1 // 2 is committed later than 3 arrives
  feed.push(feedMessage(3))
  await waitFor(() => store.reads >= 3, { what: 'two reads of the gap' })
  assert.deepEqual(sink.seqs, [])
  store.visibleUpTo = Number.POSITIVE_INFINITY
  await waitFor(() => sink.seqs.length === 2, { what: 'the gap filled' })
  assert.deepEqual(sink.seqs, [2, 3])
})

test('a failed database read is logged and retried', async (t) => {
  const store = new FakeMessages(1)
  const { log, entries } = recordingLogger()
  const { feed, sink } = feedOver(store, { log })
  t.after(() => feed.close())
  await feed.start()
  store.add(2)
  store.failNext = 2
  feed.push(feedMessage(3))
  await waitFor(() => sink.seqs.length === 2, { what: 'the gap filled after the failures' })
  assert.deepEqual(sink.seqs, [2, 3])
  assert.equal(entries.filter((e) => e.msg === 'gap fill failed, retrying').length, 2)
})

test('deliveries pushed before start are held, then those after the last seq are replayed', async (t) => {
  const store = new FakeMessages(4)
  const { feed, sink } = feedOver(store)
  t.after(() => feed.close())
  feed.push(feedMessage(4)) // stored before the read: history
  feed.push(feedMessage(5))
  await feed.start()
  assert.deepEqual(sink.seqs, [5])
})

test('resync reads everything after the last seq from the database (the bus queue was re-created)', async (t) => {
  const store = new FakeMessages(1)
  const { feed, sink } = feedOver(store)
  t.after(() => feed.close())
  await feed.start()
  store.add(3) // delivered to a queue that is gone
  feed.resync()
  await waitFor(() => sink.seqs.length === 3, { what: 'the resync' })
  assert.deepEqual(sink.seqs, [2, 3, 4])
  feed.push(feedMessage(5))
  assert.deepEqual(sink.seqs, [2, 3, 4, 5], 'live again after the resync')
})

test('past 10,000 held deliveries the feed forgets them and reads the gap from the database instead', async (t) => {
  const store = new FakeMessages(1)
  store.visibleUpTo = 1
  const { feed, sink } = feedOver(store)
  t.after(() => feed.close())
  await feed.start()
  store.add(10_002) // seqs 2..10,003, not visible yet
  for (let seq = 3; seq <= 10_003; seq++) feed.push(feedMessage(seq)) // 10,001 deliveries wait for seq 2
  assert.deepEqual(sink.seqs, [])
  store.visibleUpTo = Number.POSITIVE_INFINITY
  await waitFor(() => sink.seqs.length === 10_002, { timeoutMs: 20_000, what: 'everything read from the database' })
  assert.deepEqual(sink.seqs, Array.from({ length: 10_002 }, (_, i) => i + 2))
})

test('sinks come and go; a closed feed hands out nothing', async () => {
  const { feed, sink } = feedOver(new FakeMessages(0))
  await feed.start()
  const late = new SeqSink()
  feed.push(feedMessage(1))
  feed.addSink(late)
  feed.push(feedMessage(2))
  feed.removeSink(sink)
  feed.push(feedMessage(3))
  assert.equal(feed.sinkCount, 1)
  feed.close()
  feed.push(feedMessage(4))
  assert.deepEqual(sink.seqs, [1, 2])
  assert.deepEqual(late.seqs, [2, 3])
})
