import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TestClock } from '@chat/testing'
import { MemoryPresenceStore, type PresenceSession } from '../src/index.js'
import { presenceStoreContract } from './presence-store.contract.js'

await presenceStoreContract('memory', async (t) => {
  const clock = new TestClock()
  const ttlMs = 30_000
  const store = new MemoryPresenceStore({ ttlMs, clock })
  t.after(() => store.close())
  return { store, ttlMs, elapse: async (ms) => clock.advance(ms) }
})

function sessions (count: number, rooms: readonly string[]): PresenceSession[] {
  return Array.from({ length: count }, (_, i) => ({ sessionId: `s${i}`, userId: `u${i}`, username: `U${i}`, instanceId: 'e', rooms }))
}

await test('MemoryPresenceStore', async (suite) => {
  await suite.test('rejects a ttl that is not a positive integer', () => {
    assert.throws(() => new MemoryPresenceStore({ ttlMs: 0 }), RangeError)
    assert.throws(() => new MemoryPresenceStore({ ttlMs: 1.5 }), RangeError)
  })

  await suite.test('uses the system clock by default', async (t) => {
    const store = new MemoryPresenceStore({ ttlMs: 60_000 })
    t.after(() => store.close())
    await store.refresh(sessions(1, ['r1']))
    assert.equal((await store.userStatus('u0')).sessions, 1)
  })

  await suite.test('prunes expired entries on lookups and refreshes, at most 1,000 more than it writes per call', async (t) => {
    const clock = new TestClock()
    const store = new MemoryPresenceStore({ ttlMs: 1_000, clock })
    t.after(() => store.close())
    // 1. 2,500 sessions in one room: 5,000 entries (user + room)
    await store.refresh(sessions(2_500, ['r1']))
    assert.equal(store.size, 5_000)
    // 2. all expire; one lookup removes only the first 1,000, so no single call pays for all
    clock.advance(1_000)
    await store.userStatus('nobody')
    assert.equal(store.size, 4_000)
    // 3. a refresh writing 2 entries may remove 1,002 expired ones
    await store.refresh(sessions(1, ['r2']).map((s) => ({ ...s, sessionId: 'fresh', userId: 'fresh' })))
    assert.equal(store.size, 4_000 - 1_002 + 2)
    // 4. further lookups drain the rest; the live session stays
    for (let i = 0; i < 3; i++) await store.roomOnline('nowhere')
    assert.equal(store.size, 2)
    assert.deepEqual(await store.roomOnline('r2'), [{ userId: 'fresh', username: 'U0', sessions: 1 }])
    assert.deepEqual(await store.roomOnline('r1'), [])
  })

  await suite.test('keeps a steady size under steady churn (no unbounded growth)', async (t) => {
    const clock = new TestClock()
    const store = new MemoryPresenceStore({ ttlMs: 1_000, clock })
    t.after(() => store.close())
    // Every 100 ms a new session appears and is never refreshed or ended (its edge "crashed").
    for (let i = 0; i < 10_000; i++) {
      await store.refresh([{ sessionId: `s${i}`, userId: `u${i % 50}`, username: 'x', instanceId: 'e', rooms: ['r1', 'r2'] }])
      clock.advance(100)
    }
    // About ttl / 100 ms = 10 sessions are live, 3 entries each; only they remain.
    assert.ok(store.size <= 33, `size ${store.size}`)
  })

  await suite.test('lookups count only live entries even before they are pruned', async (t) => {
    const clock = new TestClock()
    const store = new MemoryPresenceStore({ ttlMs: 1_000, clock })
    t.after(() => store.close())
    await store.refresh(sessions(1, ['r1']))
    clock.advance(999)
    assert.equal((await store.roomOnline('r1')).length, 1)
    clock.advance(1) // expiry is exclusive: live while now < refresh + ttl
    assert.equal((await store.roomOnline('r1')).length, 0)
  })
})
