import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@chat/testing'
import { Harness, errorOf, testServers, type Reply, type TestUser } from './harness.js'

// SPEC section 3, the room routes: create, list (mine, public), add member, join, leave, scroll-back, send, read
// markers, unread counts. Sends go through an in-process bus to a dispatcher running in this process, which
// stores them in the file's PostgreSQL database (send-rabbitmq.test.ts does the same over the real broker).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MISSING_ROOM = '01900000-0000-7000-8000-00000000dead'

interface Message { id: string, roomId: string, seq: number, senderId: string, senderName: string, type: string, content: string, clientMsgId: string, sentAt: string }
interface Page { messages: Message[], hasMore: boolean }
interface ListItem { id: string, name: string, visibility: string, lastSeq: number, unread: number, member: boolean }

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history rooms: PostgreSQL or Redis does not answer')
} else {
  describe('room routes', () => {
    let h: Harness
    let alice: TestUser
    let bob: TestUser
    let carol: TestUser

    before(async () => {
      h = await Harness.start(servers, { tag: 'rooms', dispatcher: true, env: { LOGIN_RATE: '1000' } })
      ;[alice, bob, carol] = await Promise.all([h.user('alice'), h.user('bob'), h.user('carol')])
    })
    after(async () => { await h?.close() })

    function assertError (res: Reply, status: number, code: string, what = ''): void {
      assert.equal(res.status, status, `${what} ${res.text}`)
      assert.equal(errorOf(res).code, code, what)
    }

    async function page (user: TestUser, roomId: string, query = ''): Promise<Page> {
      const res = await h.api.get(`/api/rooms/${roomId}/messages${query}`, { token: user })
      assert.equal(res.status, 200, res.text)
      return res.json as Page
    }

    async function send (user: TestUser, roomId: string, content: string, clientMsgId?: string): Promise<{ id: string, clientMsgId: string }> {
      const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: user, body: { content, ...(clientMsgId === undefined ? {} : { clientMsgId }) } })
      assert.equal(res.status, 202, res.text)
      return res.json as { id: string, clientMsgId: string }
    }

    async function mine (user: TestUser): Promise<ListItem[]> {
      const res = await h.api.get('/api/rooms', { token: user })
      assert.equal(res.status, 200, res.text)
      return res.json as ListItem[]
    }

    describe('create and list', () => {
      it('creates a public room by default, and a private one; the creator is a member', async () => {
        const res = await h.api.post('/api/rooms', { token: alice, body: { name: 'general' } })
        assert.equal(res.status, 201)
        const room = res.json as { id: string, name: string, visibility: string, createdAt: string }
        assert.deepEqual(Object.keys(room).sort(), ['createdAt', 'id', 'name', 'visibility'])
        assert.match(room.id, UUID)
        assert.equal(room.name, 'general')
        assert.equal(room.visibility, 'public')
        assert.ok(Math.abs(Date.parse(room.createdAt) - Date.now()) < 60_000)
        const priv = await h.api.post('/api/rooms', { token: alice, body: { name: 'secret', visibility: 'private' } })
        assert.equal(priv.status, 201)
        assert.equal((priv.json as { visibility: string }).visibility, 'private')
        assert.ok(await h.store.rooms.isMember(room.id, alice.userId))
        assert.equal((await page(alice, room.id)).messages.length, 0)
      })

      it('GET /rooms (scope=mine, the default) lists the caller\'s rooms with lastSeq and unread', async () => {
        const a = await h.room(alice, 'aa-mine')
        const b = await h.room(alice, 'ab-mine', 'private')
        await h.room(bob, 'bobs-own')
        const list = await mine(alice)
        const explicit = await h.api.get('/api/rooms?scope=mine', { token: alice })
        assert.deepEqual(explicit.json, list)
        const ids = list.map((r) => r.id)
        assert.ok(ids.includes(a) && ids.includes(b))
        assert.ok(!list.some((r) => r.name === 'bobs-own'))
        for (const r of list) {
          assert.deepEqual(Object.keys(r).sort(), ['id', 'lastSeq', 'member', 'name', 'unread', 'visibility'])
          assert.equal(r.member, true)
        }
        assert.deepEqual(list.find((r) => r.id === b), { id: b, name: 'ab-mine', visibility: 'private', lastSeq: 0, unread: 0, member: true })
      })

      it('GET /rooms?scope=public lists every public room with member true|false, never a private one', async () => {
        const pub = await h.room(bob, 'pub-bob')
        const priv = await h.room(bob, 'priv-bob', 'private')
        const asCarol = (await h.api.get('/api/rooms?scope=public', { token: carol })).json as ListItem[]
        assert.equal(asCarol.find((r) => r.id === pub)?.member, false)
        assert.equal(asCarol.find((r) => r.id === priv), undefined)
        assert.ok(asCarol.every((r) => r.visibility === 'public'))
        const asBob = (await h.api.get('/api/rooms?scope=public', { token: bob })).json as ListItem[]
        assert.equal(asBob.find((r) => r.id === pub)?.member, true)
        assert.equal(asBob.find((r) => r.id === priv), undefined)
      })

      it('refuses an unknown scope', async () => {
        assertError(await h.api.get('/api/rooms?scope=all', { token: alice }), 400, 'CHAT_BAD_REQUEST')
      })
    })

    describe('members, join and leave', () => {
      it('a member adds someone by userId and by username: 204, an ENTER message each, and they become members', async () => {
        const roomId = await h.room(alice, 'team', 'private')
        const byId = await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body: { userId: bob.userId } })
        assert.equal(byId.status, 204, byId.text)
        const byName = await h.api.post(`/api/rooms/${roomId}/members`, { token: bob, body: { username: 'CAROL' } })
        assert.equal(byName.status, 204, byName.text)
        assert.ok(await h.store.rooms.isMember(roomId, bob.userId))
        assert.ok(await h.store.rooms.isMember(roomId, carol.userId))
        await h.storedUpTo(roomId, 2)
        const { messages } = await page(carol, roomId)
        assert.deepEqual(messages.map((m) => [m.seq, m.type, m.senderId]), [[1, 'ENTER', bob.userId], [2, 'ENTER', carol.userId]])
        // Adding a member again is a no-op: 204, no second ENTER.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body: { userId: bob.userId } })).status, 204)
        await send(alice, roomId, 'after the re-add')
        await h.storedUpTo(roomId, 3)
        assert.deepEqual((await page(alice, roomId)).messages.map((m) => m.type), ['ENTER', 'ENTER', 'TALK'])
      })

      it('only members add (403 CHAT_ROOM_FORBIDDEN); unknown users are 404 CHAT_USER_NOT_FOUND; a missing room 404', async () => {
        const roomId = await h.room(alice, 'closed', 'private')
        assertError(await h.api.post(`/api/rooms/${roomId}/members`, { token: bob, body: { userId: bob.userId } }), 403, 'CHAT_ROOM_FORBIDDEN', 'non-member adds self')
        assertError(await h.api.post(`/api/rooms/${roomId}/members`, { token: bob, body: { username: 'carol' } }), 403, 'CHAT_ROOM_FORBIDDEN', 'non-member adds other')
        assertError(await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body: { userId: '01900000-0000-7000-8000-000000000001' } }), 404, 'CHAT_USER_NOT_FOUND', 'unknown id')
        assertError(await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body: { username: 'nobody' } }), 404, 'CHAT_USER_NOT_FOUND', 'unknown name')
        assertError(await h.api.post(`/api/rooms/${MISSING_ROOM}/members`, { token: alice, body: { userId: bob.userId } }), 404, 'CHAT_ROOM_NOT_FOUND', 'missing room')
        for (const body of [{}, { userId: bob.userId, username: 'bob' }, { userId: 'bob' }, { username: 'no spaces' }]) {
          assertError(await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body }), 400, 'CHAT_BAD_REQUEST', JSON.stringify(body))
        }
        assert.equal(await h.store.rooms.isMember(roomId, bob.userId), false)
      })

      it('join: 204 for a public room (an ENTER message, the read marker at lastSeq); 403 CHAT_ROOM_PRIVATE for a private one', async () => {
        const roomId = await h.room(alice, 'lobby')
        await send(alice, roomId, 'before bob')
        await send(alice, roomId, 'before bob, 2')
        await h.storedUpTo(roomId, 2)
        const res = await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })
        assert.equal(res.status, 204, res.text)
        await h.storedUpTo(roomId, 3)
        assert.deepEqual((await page(bob, roomId)).messages.map((m) => m.type), ['TALK', 'TALK', 'ENTER'])
        // What was said before he joined is not unread for him; his own ENTER neither.
        assert.equal((await mine(bob)).find((r) => r.id === roomId)?.unread, 0)
        // Joining twice is a no-op.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })).status, 204)
        const priv = await h.room(alice, 'vip', 'private')
        assertError(await h.api.post(`/api/rooms/${priv}/join`, { token: bob }), 403, 'CHAT_ROOM_PRIVATE')
        assert.equal(await h.store.rooms.isMember(priv, bob.userId), false)
        assertError(await h.api.post(`/api/rooms/${MISSING_ROOM}/join`, { token: bob }), 404, 'CHAT_ROOM_NOT_FOUND')
        // A member of a private room "joining" it again is fine.
        assert.equal((await h.api.post(`/api/rooms/${priv}/join`, { token: alice })).status, 204)
        // A marker sent last is stored last (one shard, in order): nothing else came from the second join.
        await send(alice, roomId, 'marker')
        await h.storedUpTo(roomId, 4)
        assert.deepEqual((await page(alice, roomId)).messages.map((m) => m.type), ['TALK', 'TALK', 'ENTER', 'TALK'])
      })

      it('leave: 204 and a LEAVE message; afterwards the room is closed to them; leaving twice is fine; a missing room 404', async () => {
        const roomId = await h.room(alice, 'short-stay')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: carol })).status, 204)
        const res = await h.api.post(`/api/rooms/${roomId}/leave`, { token: carol })
        assert.equal(res.status, 204)
        await h.storedUpTo(roomId, 2)
        assert.deepEqual((await page(alice, roomId)).messages.map((m) => [m.type, m.senderId]), [['ENTER', carol.userId], ['LEAVE', carol.userId]])
        assert.equal(await h.store.rooms.isMember(roomId, carol.userId), false)
        assertError(await h.api.get(`/api/rooms/${roomId}/messages`, { token: carol }), 403, 'CHAT_ROOM_FORBIDDEN')
        assertError(await h.api.post(`/api/rooms/${roomId}/messages`, { token: carol, body: { content: 'still here?' } }), 403, 'CHAT_ROOM_FORBIDDEN')
        assert.ok(!(await mine(carol)).some((r) => r.id === roomId))
        assert.equal((await h.api.post(`/api/rooms/${roomId}/leave`, { token: carol })).status, 204)
        assertError(await h.api.post(`/api/rooms/${MISSING_ROOM}/leave`, { token: carol }), 404, 'CHAT_ROOM_NOT_FOUND')
        await send(alice, roomId, 'marker')
        await h.storedUpTo(roomId, 3)
        assert.deepEqual((await page(alice, roomId)).messages.map((m) => m.type), ['ENTER', 'LEAVE', 'TALK'], 'a second leave stores no second LEAVE')
      })
    })

    describe('the in-process membership cache (ACCESS_CACHE_MS)', () => {
      it('a leave through this instance closes reads at once, whatever the case of the id', async () => {
        const roomId = await h.room(alice, 'cached-leave')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: carol })).status, 204)
        const upper = roomId.toUpperCase()
        assert.equal((await h.api.get(`/api/rooms/${upper}/messages`, { token: carol })).status, 200)
        assert.equal((await h.api.get(`/api/rooms/${roomId}/presence`, { token: carol })).status, 200)
        assert.equal((await h.api.post(`/api/rooms/${roomId}/leave`, { token: carol })).status, 204)
        assertError(await h.api.get(`/api/rooms/${upper}/messages`, { token: carol }), 403, 'CHAT_ROOM_FORBIDDEN', 'page, upper case')
        assertError(await h.api.get(`/api/rooms/${roomId}/messages`, { token: carol }), 403, 'CHAT_ROOM_FORBIDDEN', 'page')
        assertError(await h.api.get(`/api/rooms/${roomId}/presence`, { token: carol }), 403, 'CHAT_ROOM_FORBIDDEN', 'presence')
      })

      it('a leave through another instance: writes are refused at once, reads within ACCESS_CACHE_MS', async () => {
        const other = await h.otherApp()
        const roomId = await h.room(alice, 'cached-elsewhere')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: carol })).status, 204)
        assert.equal((await h.api.get(`/api/rooms/${roomId}/messages`, { token: carol })).status, 200, 'this instance caches the membership')
        assert.equal((await other.api.post(`/api/rooms/${roomId}/leave`, { token: carol })).status, 204)
        const leftAt = Date.now()
        assertError(await h.api.post(`/api/rooms/${roomId}/messages`, { token: carol, body: { content: 'gone' } }), 403, 'CHAT_ROOM_FORBIDDEN', 'send')
        assertError(await h.api.post(`/api/rooms/${roomId}/members`, { token: carol, body: { username: 'bob' } }), 403, 'CHAT_ROOM_FORBIDDEN', 'add member')
        assertError(await h.api.post(`/api/rooms/${roomId}/read`, { token: carol, body: { seq: 1 } }), 403, 'CHAT_ROOM_FORBIDDEN', 'read marker')
        await waitFor(async () => (await h.api.get(`/api/rooms/${roomId}/messages`, { token: carol })).status === 403, { timeoutMs: 5_000, what: 'reads to close' })
        assert.ok(Date.now() - leftAt <= h.config.accessCacheMs + 1_000, `reads closed after ${Date.now() - leftAt} ms`)
      })

      it('never caches "not a member": someone added is let in at once', async () => {
        const roomId = await h.room(alice, 'cached-add', 'private')
        assertError(await h.api.get(`/api/rooms/${roomId}/messages`, { token: carol }), 403, 'CHAT_ROOM_FORBIDDEN')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body: { userId: carol.userId } })).status, 204)
        assert.equal((await h.api.get(`/api/rooms/${roomId}/messages`, { token: carol })).status, 200)
      })
    })

    describe('messages', () => {
      it('send: 202 {id, clientMsgId}, stored with the next seq, the sender\'s name and the content as sent', async () => {
        const roomId = await h.room(alice, 'talk')
        const sent = await send(alice, roomId, 'hello', 'c-1')
        assert.match(sent.id, UUID)
        assert.equal(sent.clientMsgId, 'c-1')
        const generated = await send(alice, roomId, 'no client id')
        assert.ok(generated.clientMsgId.length > 0)
        await h.storedUpTo(roomId, 2)
        const { messages, hasMore } = await page(alice, roomId)
        assert.equal(hasMore, false)
        assert.equal(messages.length, 2)
        const [first] = messages
        assert.deepEqual(first, { ...first, id: sent.id, roomId, seq: 1, senderId: alice.userId, senderName: 'alice', type: 'TALK', content: 'hello', clientMsgId: 'c-1' })
        assert.deepEqual(Object.keys(first ?? {}).sort(), ['clientMsgId', 'content', 'id', 'roomId', 'senderId', 'senderName', 'sentAt', 'seq', 'type'])
        assert.match(first?.sentAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        // type TALK may be given explicitly; nothing else.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x', type: 'TALK' } })).status, 202)
        assertError(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x', type: 'ENTER' } }), 400, 'CHAT_BAD_REQUEST')
      })

      it('send is idempotent on clientMsgId: a resend stores no second message', async () => {
        const roomId = await h.room(alice, 'resend')
        await send(alice, roomId, 'once', 'same-id')
        await send(alice, roomId, 'once', 'same-id')
        await send(alice, roomId, 'marker', 'other-id')
        await h.storedUpTo(roomId, 2)
        const { messages } = await page(alice, roomId)
        assert.deepEqual(messages.map((m) => [m.seq, m.clientMsgId]), [[1, 'same-id'], [2, 'other-id']])
      })

      it('send and page are for members only (403), and a missing room is 404', async () => {
        const roomId = await h.room(alice, 'members-only', 'private')
        assertError(await h.api.post(`/api/rooms/${roomId}/messages`, { token: bob, body: { content: 'let me in' } }), 403, 'CHAT_ROOM_FORBIDDEN', 'send')
        assertError(await h.api.get(`/api/rooms/${roomId}/messages`, { token: bob }), 403, 'CHAT_ROOM_FORBIDDEN', 'page')
        assertError(await h.api.post(`/api/rooms/${MISSING_ROOM}/messages`, { token: bob, body: { content: 'x' } }), 404, 'CHAT_ROOM_NOT_FOUND', 'send')
        assertError(await h.api.get(`/api/rooms/${MISSING_ROOM}/messages`, { token: bob }), 404, 'CHAT_ROOM_NOT_FOUND', 'page')
        // Public rooms too: you join first.
        const pub = await h.room(alice, 'public-but-join-first')
        assertError(await h.api.get(`/api/rooms/${pub}/messages`, { token: bob }), 403, 'CHAT_ROOM_FORBIDDEN', 'public page')
      })

      it('page: before, after, limit (1..100, default 50); both before and after is 400', async () => {
        const roomId = await h.room(alice, 'paged')
        for (let i = 1; i <= 60; i++) await send(alice, roomId, `m${i}`, `p-${i}`)
        await h.storedUpTo(roomId, 60)
        const latest = await page(alice, roomId)
        assert.deepEqual(latest.messages.map((m) => m.seq), range(11, 60))
        assert.equal(latest.hasMore, true)
        const before = await page(alice, roomId, '?before=11&limit=5')
        assert.deepEqual(before.messages.map((m) => m.seq), [6, 7, 8, 9, 10])
        assert.equal(before.hasMore, true)
        const after = await page(alice, roomId, '?after=55&limit=10')
        assert.deepEqual(after.messages.map((m) => m.seq), [56, 57, 58, 59, 60])
        assert.equal(after.hasMore, false)
        assert.deepEqual((await page(alice, roomId, '?limit=100')).messages.length, 60)
        assert.deepEqual((await page(alice, roomId, '?before=1')).messages, [])
        assert.deepEqual((await page(alice, roomId, '?after=60')), { messages: [], hasMore: false })
        assertError(await h.api.get(`/api/rooms/${roomId}/messages?before=30&after=10`, { token: alice }), 400, 'CHAT_BAD_REQUEST', 'both')
        for (const q of ['limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'before=-1', 'after=x', 'before=1.5']) {
          assertError(await h.api.get(`/api/rooms/${roomId}/messages?${q}`, { token: alice }), 400, 'CHAT_BAD_REQUEST', q)
        }
      })
    })

    describe('read markers and unread', () => {
      it('counts others\' messages, not one\'s own; the marker never moves back and is clamped to lastSeq', async () => {
        const roomId = await h.room(alice, 'reading')
        assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })).status, 204) // seq 1: bob's ENTER
        await send(alice, roomId, 'one') // 2
        await send(alice, roomId, 'two') // 3
        await send(bob, roomId, 'mine') // 4
        await send(alice, roomId, 'three') // 5
        await h.storedUpTo(roomId, 5)
        const unreadOf = async (u: TestUser): Promise<number | undefined> => {
          const list = (await h.api.get('/api/me/unread', { token: u })).json as Array<{ roomId: string, unread: number }>
          return list.find((r) => r.roomId === roomId)?.unread
        }
        // Each sender's marker moves to their own message. Alice's last is 5, so bob's 1 and 4 are behind it: 0.
        // Bob's last is 4 (alice's 2 and 3 came before it and count as seen): alice's 5 is unread, 1.
        assert.equal(await unreadOf(alice), 0)
        assert.equal(await unreadOf(bob), 1)
        assert.equal((await mine(bob)).find((r) => r.id === roomId)?.unread, 1)
        // 1. Bob reads up to 5: 0 unread.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/read`, { token: bob, body: { seq: 5 } })).status, 204)
        assert.equal(await unreadOf(bob), 0)
        // 2. Never back.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/read`, { token: bob, body: { seq: 2 } })).status, 204)
        await send(alice, roomId, 'four') // 6
        await send(alice, roomId, 'five') // 7
        await h.storedUpTo(roomId, 7)
        assert.equal(await unreadOf(bob), 2)
        // 3. Clamped: reading far beyond lastSeq reads up to lastSeq, and later messages still count.
        assert.equal((await h.api.post(`/api/rooms/${roomId}/read`, { token: bob, body: { seq: 1_000_000 } })).status, 204)
        assert.equal(await unreadOf(bob), 0)
        await send(alice, roomId, 'six') // 8
        await h.storedUpTo(roomId, 8)
        assert.equal(await unreadOf(bob), 1)
        assert.equal(await unreadOf(alice), 0)
      })

      it('read: members only (403), missing room 404, bad bodies 400', async () => {
        const roomId = await h.room(alice, 'read-errors', 'private')
        assertError(await h.api.post(`/api/rooms/${roomId}/read`, { token: bob, body: { seq: 1 } }), 403, 'CHAT_ROOM_FORBIDDEN')
        assertError(await h.api.post(`/api/rooms/${MISSING_ROOM}/read`, { token: bob, body: { seq: 1 } }), 404, 'CHAT_ROOM_NOT_FOUND')
        for (const body of [{}, { seq: -1 }, { seq: '5' }, { seq: 1.5 }, { seq: 2 ** 31 }, { seq: 1, extra: true }]) {
          assertError(await h.api.post(`/api/rooms/${roomId}/read`, { token: alice, body }), 400, 'CHAT_BAD_REQUEST', JSON.stringify(body))
        }
        assert.equal((await h.api.post(`/api/rooms/${roomId}/read`, { token: alice, body: { seq: 0 } })).status, 204)
      })

      it('GET /me/unread lists every room of the caller, zeros included, and nothing else', async () => {
        const res = await h.api.get('/api/me/unread', { token: carol })
        assert.equal(res.status, 200)
        const list = res.json as Array<{ roomId: string, unread: number }>
        const rooms = await mine(carol)
        assert.deepEqual(list.map((r) => r.roomId).sort(), rooms.map((r) => r.id).sort())
        for (const item of list) assert.deepEqual(Object.keys(item).sort(), ['roomId', 'unread'])
      })
    })
  })
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
