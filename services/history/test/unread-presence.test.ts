import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import type { PresenceSession } from '@chat/presence'
import { RedisPresenceStore } from '@chat/presence/redis'
import { waitFor } from '@chat/testing'
import { Harness, errorOf, testServers, type TestUser } from './harness.js'

// Unread counts as a user lives them (messages while away, a disconnect without reading) and presence as edges
// write it: entries in Redis with an expiry, written here through a RedisPresenceStore of our own (an "edge")
// with a short ttl, so they can be watched expiring.

const EDGE_TTL_MS = 700

interface Online { userId: string, username: string, sessions: number }

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history unread and presence: PostgreSQL or Redis does not answer')
} else {
  describe('unread counts and presence', () => {
    let h: Harness
    let alice: TestUser
    let bob: TestUser
    let edge: RedisPresenceStore

    before(async () => {
      h = await Harness.start(servers, { tag: 'unread', dispatcher: true, env: { LOGIN_RATE: '1000' } })
      ;[alice, bob] = await Promise.all([h.user('alice'), h.user('bob')])
      edge = await RedisPresenceStore.connect({ url: servers.redisUrl, keyPrefix: h.prefix, ttlMs: EDGE_TTL_MS })
    })
    after(async () => {
      await edge?.close()
      await h?.close()
    })

    async function unread (user: TestUser, roomId: string): Promise<{ list: number | undefined, rooms: number | undefined }> {
      const list = (await h.api.get('/api/me/unread', { token: user })).json as Array<{ roomId: string, unread: number }>
      const rooms = (await h.api.get('/api/rooms', { token: user })).json as Array<{ id: string, unread: number }>
      return { list: list.find((r) => r.roomId === roomId)?.unread, rooms: rooms.find((r) => r.id === roomId)?.unread }
    }

    async function send (user: TestUser, roomId: string, content: string): Promise<void> {
      const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: user, body: { content } })
      assert.equal(res.status, 202, res.text)
    }

    function session (user: TestUser, sessionId: string, rooms: string[]): PresenceSession {
      return { sessionId, userId: user.userId, username: user.username, instanceId: 'edge-test', rooms }
    }

    describe('unread', () => {
      it('messages sent while a member is away are unread for them, their own never; reading clears them', async () => {
        const roomId = await h.room(alice, 'away')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })).status, 204) // 1: bob ENTER
        await h.storedUpTo(roomId, 1)
        assert.deepEqual(await unread(bob, roomId), { list: 0, rooms: 0 })
        assert.deepEqual(await unread(alice, roomId), { list: 1, rooms: 1 }, 'bob joining is news for alice')
        for (let i = 0; i < 5; i++) await send(alice, roomId, `while away ${i}`) // 2..6
        await h.storedUpTo(roomId, 6)
        assert.deepEqual(await unread(bob, roomId), { list: 5, rooms: 5 })
        assert.deepEqual(await unread(alice, roomId), { list: 0, rooms: 0 })
        assert.equal((await h.api.post(`/api/rooms/${roomId}/read`, { token: bob, body: { seq: 4 } })).status, 204)
        assert.deepEqual(await unread(bob, roomId), { list: 2, rooms: 2 })
        // The room list carries lastSeq alongside.
        const listed = ((await h.api.get('/api/rooms', { token: bob })).json as Array<{ id: string, lastSeq: number }>).find((r) => r.id === roomId)
        assert.equal(listed?.lastSeq, 6)
      })

      it('a user who received messages live and disconnected without reading still has them unread', async () => {
        const roomId = await h.room(alice, 'live')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })).status, 204) // 1
        // 1. Bob is online in the room (an edge's session).
        const bobSession = session(bob, 'bob-s1', [roomId])
        await edge.refresh([bobSession])
        for (let i = 0; i < 3; i++) await send(alice, roomId, `live ${i}`) // 2..4
        await h.storedUpTo(roomId, 4)
        // 2. The edge delivered 2..4 to his session; he disconnects without reading. The edge records what it
        // delivered and when he was last seen, and ends the session in presence.
        const at = Date.now()
        await h.store.rooms.recordDelivered(bob.userId, [{ roomId, seq: 4 }])
        await h.store.users.recordLastSeen(bob.userId, new Date(at))
        await edge.endSession(bobSession, at)
        // 3. Delivered is not read: still 3 unread.
        assert.deepEqual(await unread(bob, roomId), { list: 3, rooms: 3 })
        const status = (await h.api.get(`/api/users/${bob.userId}/presence`, { token: alice })).json
        assert.deepEqual(status, { online: false, lastSeenAt: new Date(at).toISOString() })
        // 4. Reading is what clears them.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/read`, { token: bob, body: { seq: 4 } })).status, 204)
        assert.deepEqual(await unread(bob, roomId), { list: 0, rooms: 0 })
      })

      it('counts per room, and rooms with nothing new are listed with 0', async () => {
        const quiet = await h.room(alice, 'quiet')
        const busy = await h.room(alice, 'busy')
        for (const r of [quiet, busy]) assert.equal((await h.api.post(`/api/rooms/${r}/join`, { token: bob })).status, 204)
        await send(alice, busy, 'one')
        await send(alice, busy, 'two')
        await h.storedUpTo(busy, 3)
        await h.storedUpTo(quiet, 1)
        assert.deepEqual(await unread(bob, quiet), { list: 0, rooms: 0 })
        assert.deepEqual(await unread(bob, busy), { list: 2, rooms: 2 })
      })
    })

    describe('presence', () => {
      it('room presence lists the users with live sessions and their session counts, until the entries expire', async () => {
        const roomId = await h.room(alice, 'presence')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })).status, 204)
        assert.deepEqual((await h.api.get(`/api/rooms/${roomId}/presence`, { token: alice })).json, { online: [] })
        await edge.refresh([session(alice, 'a1', [roomId]), session(bob, 'b1', [roomId]), session(bob, 'b2', [roomId]), session(bob, 'b3', [])])
        const res = await h.api.get(`/api/rooms/${roomId}/presence`, { token: bob })
        assert.equal(res.status, 200)
        const online = (res.json as { online: Online[] }).online.sort((x, y) => x.username.localeCompare(y.username))
        assert.deepEqual(online, [
          { userId: alice.userId, username: 'alice', sessions: 1 },
          { userId: bob.userId, username: 'bob', sessions: 2 },
        ])
        assert.equal(((await h.api.get(`/api/users/${bob.userId}/presence`, { token: alice })).json as { online: boolean }).online, true)
        // Nobody refreshes them any more (the edge died): after the ttl they are gone, from the room and the user.
        await waitFor(async () => {
          const r = (await h.api.get(`/api/rooms/${roomId}/presence`, { token: alice })).json as { online: Online[] }
          return r.online.length === 0
        }, { timeoutMs: EDGE_TTL_MS * 10, intervalMs: 50, what: 'room presence to expire' })
        assert.equal(((await h.api.get(`/api/users/${bob.userId}/presence`, { token: alice })).json as { online: boolean }).online, false)
      })

      it('counts only unexpired entries: a refreshed session stays while a stale one goes', async () => {
        const roomId = await h.room(alice, 'partial')
        await edge.refresh([session(alice, 'stale', [roomId])])
        // Refresh "fresh" until "stale" has expired: then exactly one session is counted.
        const expiry = Date.now() + EDGE_TTL_MS
        await waitFor(async () => {
          await edge.refresh([session(alice, 'fresh', [roomId])])
          return Date.now() > expiry + 50
        }, { timeoutMs: EDGE_TTL_MS * 10, intervalMs: 100, what: 'the stale entry to pass its expiry' })
        const r = (await h.api.get(`/api/rooms/${roomId}/presence`, { token: alice })).json as { online: Online[] }
        assert.deepEqual(r.online, [{ userId: alice.userId, username: 'alice', sessions: 1 }])
      })

      it('room presence is for members only (403), a missing room 404; user presence of an unknown user 404', async () => {
        const priv = await h.room(alice, 'hidden', 'private')
        const forbidden = await h.api.get(`/api/rooms/${priv}/presence`, { token: bob })
        assert.equal(forbidden.status, 403)
        assert.equal(errorOf(forbidden).code, 'CHAT_ROOM_FORBIDDEN')
        const missing = await h.api.get('/api/rooms/01900000-0000-7000-8000-00000000dead/presence', { token: bob })
        assert.equal(missing.status, 404)
        assert.equal(errorOf(missing).code, 'CHAT_ROOM_NOT_FOUND')
        const ghost = await h.api.get('/api/users/01900000-0000-7000-8000-00000000dead/presence', { token: bob })
        assert.equal(ghost.status, 404)
        assert.equal(errorOf(ghost).code, 'CHAT_USER_NOT_FOUND')
      })

      it('lastSeenAt comes from Redis, else from the database, else null', async () => {
        const carol = await h.user('carol')
        assert.deepEqual((await h.api.get(`/api/users/${carol.userId}/presence`, { token: alice })).json, { online: false, lastSeenAt: null })
        // Only the database knows (Redis was flushed, or the edge could not write it).
        const dbTime = new Date('2024-01-02T03:04:05.678Z')
        await h.store.users.recordLastSeen(carol.userId, dbTime)
        assert.deepEqual((await h.api.get(`/api/users/${carol.userId}/presence`, { token: alice })).json, { online: false, lastSeenAt: dbTime.toISOString() })
        // Redis knows a later disconnect.
        const redisTime = Date.parse('2024-06-07T08:09:10.111Z')
        await edge.endSession(session(carol, 'c1', []), redisTime)
        assert.deepEqual((await h.api.get(`/api/users/${carol.userId}/presence`, { token: alice })).json, { online: false, lastSeenAt: new Date(redisTime).toISOString() })
        // Online again: online true (lastSeenAt still the last disconnect).
        await edge.refresh([session(carol, 'c2', [])])
        assert.deepEqual((await h.api.get(`/api/users/${carol.userId}/presence`, { token: alice })).json, { online: true, lastSeenAt: new Date(redisTime).toISOString() })
      })

      it('answers 503 CHAT_UNAVAILABLE when Redis cannot be reached, without internals', async () => {
        const client = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
        client.on('error', () => {})
        const dead = new RedisPresenceStore({ client, keyPrefix: h.prefix, ttlMs: 1000 })
        try {
          const { api } = await h.otherApp({ presence: dead })
          const roomId = await h.room(alice, 'redis-down')
          for (const path of [`/api/rooms/${roomId}/presence`, `/api/users/${bob.userId}/presence`]) {
            const res = await api.get(path, { token: alice })
            assert.equal(res.status, 503, res.text)
            assert.deepEqual(errorOf(res), { statusCode: 503, code: 'CHAT_UNAVAILABLE', message: 'a dependency is unavailable; retry later' })
          }
        } finally {
          await dead.close()
          client.disconnect()
        }
      })
    })
  })
}
