import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { PresenceClosedError, type PresenceSession, type PresenceStore, type RoomMemberOnline } from '../src/index.js'

export interface PresenceHarness {
  readonly store: PresenceStore
  /** The ttl the store was built with, in ms. */
  readonly ttlMs: number
  /** Lets `ms` of the store's time pass: advances the TestClock (memory) or waits in real time (Redis). */
  elapse (ms: number): Promise<void>
}

/** Builds a fresh, empty store for one test and registers its teardown on `t`. */
export type PresenceFactory = (t: TestContext) => Promise<PresenceHarness>

function session (userId: string, sessionId: string, rooms: readonly string[], username = userId.toUpperCase()): PresenceSession {
  return { sessionId, userId, username, instanceId: 'edge-1', rooms }
}

/** Room lookups have no order: sort by user id to compare. */
async function room (store: PresenceStore, roomId: string): Promise<RoomMemberOnline[]> {
  return [...await store.roomOnline(roomId)].sort((a, b) => a.userId.localeCompare(b.userId))
}

/** The PresenceStore contract (src/presence-store.ts), run against every adapter. */
export async function presenceStoreContract (name: string, make: PresenceFactory): Promise<void> {
  await test(`PresenceStore contract (${name})`, async (suite) => {
    await suite.test('refresh makes a session visible in the user and room lookups', async (t) => {
      const { store } = await make(t)
      await store.refresh([session('alice', 's1', ['r1', 'r2']), session('bob', 's2', ['r1'])])
      assert.deepEqual(await room(store, 'r1'), [
        { userId: 'alice', username: 'ALICE', sessions: 1 },
        { userId: 'bob', username: 'BOB', sessions: 1 },
      ])
      assert.deepEqual(await room(store, 'r2'), [{ userId: 'alice', username: 'ALICE', sessions: 1 }])
      assert.deepEqual(await store.userStatus('alice'), { online: true, sessions: 1, lastSeenAt: null })
      assert.deepEqual(await store.userStatus('bob'), { online: true, sessions: 1, lastSeenAt: null })
    })

    await suite.test('two sessions of one user count 2; refreshing one session again still counts 1', async (t) => {
      const { store } = await make(t)
      await store.refresh([session('alice', 's1', ['r1']), session('alice', 's2', ['r1'])])
      await store.refresh([session('alice', 's1', ['r1'])])
      assert.deepEqual(await room(store, 'r1'), [{ userId: 'alice', username: 'ALICE', sessions: 2 }])
      assert.equal((await store.userStatus('alice')).sessions, 2)
    })

    await suite.test('the latest refresh sets the username', async (t) => {
      const { store } = await make(t)
      await store.refresh([session('alice', 's1', ['r1'], 'old')])
      await store.refresh([session('alice', 's1', ['r1'], 'new')])
      assert.deepEqual(await room(store, 'r1'), [{ userId: 'alice', username: 'new', sessions: 1 }])
    })

    await suite.test('an empty batch is accepted and changes nothing', async (t) => {
      const { store } = await make(t)
      await store.refresh([])
      assert.deepEqual(await store.userStatus('alice'), { online: false, sessions: 0, lastSeenAt: null })
    })

    await suite.test('refresh does not remove rooms the session no longer lists', async (t) => {
      const { store } = await make(t)
      await store.refresh([session('alice', 's1', ['r1', 'r2'])])
      await store.refresh([session('alice', 's1', ['r1'])])
      assert.equal((await room(store, 'r2')).length, 1)
    })

    await suite.test('leaveRoom removes the session from that room only; leaving twice is not an error', async (t) => {
      const { store } = await make(t)
      await store.refresh([session('alice', 's1', ['r1', 'r2']), session('alice', 's2', ['r1'])])
      await store.leaveRoom('s1', 'alice', 'r1')
      await store.leaveRoom('s1', 'alice', 'r1')
      await store.leaveRoom('nope', 'nobody', 'r9')
      assert.deepEqual(await room(store, 'r1'), [{ userId: 'alice', username: 'ALICE', sessions: 1 }])
      assert.deepEqual(await room(store, 'r2'), [{ userId: 'alice', username: 'ALICE', sessions: 1 }])
      assert.deepEqual(await store.userStatus('alice'), { online: true, sessions: 2, lastSeenAt: null })
    })

    await suite.test('endSession removes the session from its user and rooms and records lastSeenAt', async (t) => {
      const { store } = await make(t)
      const s1 = session('alice', 's1', ['r1', 'r2'])
      await store.refresh([s1, session('alice', 's2', ['r1']), session('bob', 's3', ['r2'])])
      await store.endSession(s1, 1_700_000_123_000)
      assert.deepEqual(await store.userStatus('alice'), { online: true, sessions: 1, lastSeenAt: 1_700_000_123_000 })
      assert.deepEqual(await room(store, 'r1'), [{ userId: 'alice', username: 'ALICE', sessions: 1 }])
      assert.deepEqual(await room(store, 'r2'), [{ userId: 'bob', username: 'BOB', sessions: 1 }])

      await store.endSession(session('alice', 's2', ['r1']), 1_700_000_124_000)
      assert.deepEqual(await store.userStatus('alice'), { online: false, sessions: 0, lastSeenAt: 1_700_000_124_000 })
      assert.deepEqual(await room(store, 'r1'), [])
    })

    await suite.test('lastSeenAt never moves back: an older disconnect reported late is ignored', async (t) => {
      const { store } = await make(t)
      await store.endSession(session('alice', 's2', []), 2_000)
      await store.endSession(session('alice', 's1', []), 1_000)
      assert.deepEqual(await store.userStatus('alice'), { online: false, sessions: 0, lastSeenAt: 2_000 })
    })

    await suite.test('entries expire ttlMs after their last refresh; refreshed ones stay', async (t) => {
      const { store, ttlMs, elapse } = await make(t)
      const a = session('alice', 's1', ['r1'])
      const b = session('bob', 's2', ['r1'])
      // 1. both written at t0
      await store.refresh([a, b])
      // 2. at t0 + 0.75 ttl only bob is refreshed
      await elapse(ttlMs * 0.75)
      await store.refresh([b])
      // 3. at t0 + 1.25 ttl alice has expired, bob (refreshed 0.5 ttl ago) has not
      await elapse(ttlMs * 0.5)
      assert.deepEqual(await room(store, 'r1'), [{ userId: 'bob', username: 'BOB', sessions: 1 }])
      assert.deepEqual(await store.userStatus('alice'), { online: false, sessions: 0, lastSeenAt: null })
      assert.equal((await store.userStatus('bob')).sessions, 1)
      // 4. a full ttl after its refresh bob has expired too
      await elapse(ttlMs)
      assert.deepEqual(await room(store, 'r1'), [])
      assert.deepEqual(await store.userStatus('bob'), { online: false, sessions: 0, lastSeenAt: null })
    })

    await suite.test('an expired session refreshed again is counted again, once', async (t) => {
      const { store, ttlMs, elapse } = await make(t)
      await store.refresh([session('alice', 's1', ['r1'])])
      await elapse(ttlMs + 1)
      await store.refresh([session('alice', 's1', ['r1'])])
      assert.deepEqual(await room(store, 'r1'), [{ userId: 'alice', username: 'ALICE', sessions: 1 }])
      assert.equal((await store.userStatus('alice')).sessions, 1)
    })

    await suite.test('lookups of unknown ids are empty and offline', async (t) => {
      const { store } = await make(t)
      assert.deepEqual(await store.roomOnline('no-such-room'), [])
      assert.deepEqual(await store.userStatus('no-such-user'), { online: false, sessions: 0, lastSeenAt: null })
    })

    await suite.test('a batch of 1,000 sessions is refreshed at once', async (t) => {
      const { store } = await make(t)
      // 500 users with 2 sessions each; session k of user i sits in rooms r{i % 10} and all
      const batch: PresenceSession[] = []
      for (let i = 0; i < 500; i++) {
        for (let k = 0; k < 2; k++) batch.push(session(`u${i}`, `s${i}-${k}`, [`r${i % 10}`, 'all']))
      }
      await store.refresh(batch)
      const r3 = await room(store, 'r3')
      assert.equal(r3.length, 50)
      assert.ok(r3.every((m) => m.sessions === 2 && m.username === m.userId.toUpperCase()))
      assert.equal((await store.roomOnline('all')).length, 500)
      assert.deepEqual(await store.userStatus('u123'), { online: true, sessions: 2, lastSeenAt: null })
    })

    await suite.test('refuses ids it cannot store faithfully, and writes nothing of that batch', async (t) => {
      const { store } = await make(t)
      await assert.rejects(store.refresh([session('alice', 's1', ['r1']), session('bad:user', 's2', ['r1'])]), TypeError)
      await assert.rejects(store.refresh([session('alice', '', ['r1'])]), TypeError)
      await assert.rejects(store.refresh([session('alice', 's1', [''])]), TypeError)
      await assert.rejects(store.userStatus('bad:user'), TypeError)
      assert.deepEqual(await store.roomOnline('r1'), [])
    })

    await suite.test('close is idempotent; afterwards every call rejects with PresenceClosedError', async (t) => {
      const { store } = await make(t)
      await store.refresh([session('alice', 's1', ['r1'])])
      await store.close()
      await store.close()
      const closed = (err: unknown): boolean => err instanceof PresenceClosedError && err.code === 'PRESENCE_ERR_CLOSED'
      await assert.rejects(store.refresh([session('alice', 's1', ['r1'])]), closed)
      await assert.rejects(store.leaveRoom('s1', 'alice', 'r1'), closed)
      await assert.rejects(store.endSession(session('alice', 's1', ['r1']), 1), closed)
      await assert.rejects(store.roomOnline('r1'), closed)
      await assert.rejects(store.userStatus('alice'), closed)
    })
  })
}
