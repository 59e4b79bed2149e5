import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RoomStore } from '@chat/store'
import { TestClock } from '@chat/testing'
import { MembershipCache } from '../src/membership-cache.js'

// MembershipCache unit tests: room membership answers cached briefly, dropped at once on a membership change.
// The database is a fake whose reads the test resolves by hand.

interface PendingRead {
  readonly roomId: string
  readonly userId: string
  resolve (isMember: boolean): void
  reject (err: Error): void
}

/** RoomStore.isMember as a queue of reads the test answers. */
class FakeRooms {
  readonly pending: PendingRead[] = []
  reads = 0

  async isMember (roomId: string, userId: string): Promise<boolean> {
    this.reads++
    return await new Promise((resolve, reject) => this.pending.push({ roomId, userId, resolve, reject }))
  }

  /** Answers the oldest read. */
  answer (isMember: boolean): void {
    const read = this.pending.shift()
    if (read === undefined) throw new Error('no read pending')
    read.resolve(isMember)
  }
}

function cacheOver (rooms: FakeRooms, clock = new TestClock(), maxEntries?: number): MembershipCache {
  return new MembershipCache(rooms as unknown as RoomStore, { ttlMs: 5_000, now: () => clock.now(), ...(maxEntries === undefined ? {} : { maxEntries }) })
}

/** Reads through the cache, answering the database read if one is made. */
async function ask (cache: MembershipCache, rooms: FakeRooms, roomId: string, userId: string, dbAnswer: boolean): Promise<boolean> {
  const p = cache.isMember(roomId, userId)
  await Promise.resolve()
  if (rooms.pending.length > 0) rooms.answer(dbAnswer)
  return await p
}

test('an answer is kept for the TTL, then read again', async () => {
  const rooms = new FakeRooms()
  const clock = new TestClock()
  const cache = cacheOver(rooms, clock)
  assert.equal(cache.peek('r1', 'u1'), undefined)
  assert.equal(await ask(cache, rooms, 'r1', 'u1', true), true)
  assert.equal(cache.peek('r1', 'u1'), true)
  clock.advance(4_999)
  assert.equal(await ask(cache, rooms, 'r1', 'u1', false), true, 'cached')
  assert.equal(rooms.reads, 1)
  clock.advance(2)
  assert.equal(cache.peek('r1', 'u1'), undefined, 'expired')
  assert.equal(await ask(cache, rooms, 'r1', 'u1', false), false)
  assert.equal(rooms.reads, 2)
})

test('a "no" is cached like a "yes"', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms)
  assert.equal(await ask(cache, rooms, 'r1', 'u1', false), false)
  assert.equal(cache.peek('r1', 'u1'), false)
})

test('concurrent misses for one (room, user) share one database read', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms)
  const answers = Promise.all([cache.isMember('r1', 'u1'), cache.isMember('r1', 'u1'), cache.isMember('r1', 'u1')])
  const other = cache.isMember('r1', 'u2')
  assert.equal(rooms.reads, 2)
  rooms.answer(true)
  rooms.answer(false)
  assert.deepEqual(await answers, [true, true, true])
  assert.equal(await other, false)
})

test('invalidateRoom drops that room\'s answers only', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms)
  await ask(cache, rooms, 'r1', 'u1', true)
  await ask(cache, rooms, 'r1', 'u2', true)
  await ask(cache, rooms, 'r2', 'u1', true)
  cache.invalidateRoom('r1')
  assert.equal(cache.peek('r1', 'u1'), undefined)
  assert.equal(cache.peek('r1', 'u2'), undefined)
  assert.equal(cache.peek('r2', 'u1'), true)
  assert.equal(cache.size, 1)
})

test('a read overtaken by an invalidation answers its caller but is not kept', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms)
  // 1. A read starts while the user is still a member.
  const before = cache.isMember('r1', 'u1')
  // 2. The user leaves: the members event arrives before the read returns.
  cache.invalidateRoom('r1')
  // 3. A check after the event does not join the old read.
  const after = cache.isMember('r1', 'u1')
  assert.equal(rooms.reads, 2)
  rooms.answer(true)
  rooms.answer(false)
  assert.equal(await before, true)
  assert.equal(await after, false)
  assert.equal(cache.peek('r1', 'u1'), false, 'the answer read after the event is the one kept')
})

test('invalidateAll drops every answer and every read in flight', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms)
  await ask(cache, rooms, 'r1', 'u1', true)
  const inflight = cache.isMember('r2', 'u1')
  cache.invalidateAll()
  rooms.answer(true)
  await inflight
  assert.equal(cache.size, 0)
  assert.equal(cache.peek('r2', 'u1'), undefined)
})

test('a failed read is not cached and reaches the caller', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms)
  const p = cache.isMember('r1', 'u1')
  rooms.pending.shift()?.reject(new Error('database unavailable'))
  await assert.rejects(p, /database unavailable/)
  assert.equal(cache.peek('r1', 'u1'), undefined)
  assert.equal(await ask(cache, rooms, 'r1', 'u1', true), true)
})

test('at most maxEntries answers are kept, the least recently used going first; invalidation still finds the rest', async () => {
  const rooms = new FakeRooms()
  const cache = cacheOver(rooms, new TestClock(), 3)
  for (const u of ['u1', 'u2', 'u3']) await ask(cache, rooms, 'r1', u, true)
  cache.peek('r1', 'u1') // used: u2 is now the least recently used
  await ask(cache, rooms, 'r2', 'u4', true)
  assert.equal(cache.size, 3)
  assert.equal(cache.peek('r1', 'u2'), undefined)
  assert.equal(cache.peek('r1', 'u1'), true)
  cache.invalidateRoom('r1')
  assert.equal(cache.size, 1)
  assert.equal(cache.peek('r2', 'u4'), true)
})
