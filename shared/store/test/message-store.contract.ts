import { test } from 'node:test'
import assert from 'node:assert/strict'
import { count, eq } from 'drizzle-orm'
import { createChatStore, messages } from '../src/index.js'
import type { ChatStore, PersistResult, UserRecord } from '../src/index.js'
import type { ChatMessage } from '@chat/schemas'
import { createUser, inbound, missingId } from './fixtures.js'
import type { DatabaseFactory } from './fixtures.js'

function stored (r: PersistResult | undefined): ChatMessage {
  assert.ok(r !== undefined && r.status === 'stored', `expected a stored result, got ${JSON.stringify(r)}`)
  return r.message
}

function seqs (page: { readonly messages: readonly ChatMessage[] }): number[] {
  return page.messages.map((m) => m.seq)
}

function span (from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

export async function messageStoreContract (name: string, factory: DatabaseFactory): Promise<void> {
  await test(`MessageStore (${name})`, async (suite) => {
    const database = await factory.open()
    const store = createChatStore(database)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    suite.after(() => store.close())

    const newRoom = async (): Promise<string> =>
      (await store.rooms.createRoom({ creatorId: alice.id, name: 'room', visibility: 'public' })).id

    const rowCount = async (roomId: string): Promise<number> => {
      const [row] = await database.db.select({ n: count() }).from(messages).where(eq(messages.roomId, roomId))
      return row?.n ?? -1
    }

    await suite.test('gives seqs 1..N per room, contiguous and in input order, across batches and rooms', async () => {
      const [r1, r2, r3] = [await newRoom(), await newRoom(), await newRoom()]
      const sent: Record<string, string[]> = { [r1]: [], [r2]: [], [r3]: [] }
      for (let batch = 0; batch < 3; batch++) {
        const input = [r1, r2, r1, r3, r1, r2].map((room) => inbound(room, alice))
        for (const m of input) sent[m.roomId]?.push(m.id)
        const results = await store.messages.persistBatch(input)
        assert.equal(results.length, input.length)
        for (const [i, r] of results.entries()) {
          const m = stored(r)
          assert.equal(m.id, input[i]?.id)
          assert.equal(r.status === 'stored' && r.duplicate, false)
        }
      }
      for (const [room, ids] of Object.entries(sent)) {
        const page = await store.messages.page(room, { limit: 100 })
        assert.deepEqual(seqs(page), span(1, ids.length))
        assert.deepEqual(page.messages.map((m) => m.id), ids, 'seq order is input order')
        assert.equal(await store.messages.lastSeq(room), ids.length)
      }
    })

    await suite.test('returns the stored message as ChatMessage with sentAt in ISO-8601 ms Z, as given', async () => {
      const room = await newRoom()
      const input = inbound(room, alice, { sentAt: '2024-02-29T23:59:58.123+02:00', content: 'hello', type: 'ENTER' })
      const [result] = await store.messages.persistBatch([input])
      const expected: ChatMessage = {
        id: input.id,
        roomId: room,
        seq: 1,
        senderId: alice.id,
        senderName: alice.username,
        type: 'ENTER',
        content: 'hello',
        clientMsgId: input.clientMsgId,
        sentAt: '2024-02-29T21:59:58.123Z',
      }
      assert.deepEqual(result, { status: 'stored', message: expected, duplicate: false })
      assert.deepEqual((await store.messages.page(room, { limit: 10 })).messages, [expected])
    })

    await suite.test('is idempotent on (room, sender, clientMsgId) across batches', async () => {
      const room = await newRoom()
      const first = inbound(room, alice)
      const original = stored((await store.messages.persistBatch([first, inbound(room, alice)]))[0])
      // A redelivery: same key, a new envelope id, other content; the stored message wins.
      const again = { ...first, id: missingId(), content: 'changed' }
      const [result] = await store.messages.persistBatch([again])
      assert.deepEqual(result, { status: 'stored', message: original, duplicate: true })
      assert.equal(await store.messages.lastSeq(room), 2)
      assert.equal(await rowCount(room), 2)
    })

    await suite.test('is idempotent within one batch: the repeat yields the first one, duplicate:true', async () => {
      const room = await newRoom()
      const m = inbound(room, alice)
      const results = await store.messages.persistBatch([m, inbound(room, alice), { ...m, id: missingId() }])
      const first = stored(results[0])
      assert.equal(first.seq, 1)
      assert.equal(stored(results[1]).seq, 2)
      assert.deepEqual(results[2], { status: 'stored', message: first, duplicate: true })
      assert.equal(await store.messages.lastSeq(room), 2)
      assert.equal(await rowCount(room), 2)
    })

    await suite.test('ids in upper case are the same ids (uuids are case-insensitive)', async () => {
      const room = await newRoom()
      const m = inbound(room, alice)
      const [first] = await store.messages.persistBatch([{ ...m, roomId: room.toUpperCase(), senderId: alice.id.toUpperCase() }])
      assert.equal(stored(first).roomId, room)
      assert.equal(stored(first).senderId, alice.id)
      const [again] = await store.messages.persistBatch([m])
      assert.deepEqual(again, { status: 'stored', message: stored(first), duplicate: true })
      assert.equal(await store.messages.lastSeq(room.toUpperCase()), 1)
    })

    await suite.test('keeps the same clientMsgId of another sender or room apart', async () => {
      const [r1, r2] = [await newRoom(), await newRoom()]
      const results = await store.messages.persistBatch([
        inbound(r1, alice, { clientMsgId: 'same' }),
        inbound(r1, bob, { clientMsgId: 'same' }),
        inbound(r2, alice, { clientMsgId: 'same' }),
      ])
      assert.deepEqual(results.map((r) => r.status === 'stored' && r.duplicate), [false, false, false])
      assert.deepEqual(results.map((r) => stored(r).seq), [1, 2, 1])
    })

    await suite.test('fails a message of a missing room alone; the rest of the batch is stored', async () => {
      const room = await newRoom()
      const results = await store.messages.persistBatch([
        inbound(room, alice),
        inbound(missingId(), alice),
        inbound('not-a-uuid', alice),
        inbound(room, alice),
      ])
      assert.deepEqual(results[1], { status: 'failed', reason: 'room-not-found' })
      assert.deepEqual(results[2], { status: 'failed', reason: 'room-not-found' })
      assert.deepEqual([stored(results[0]).seq, stored(results[3]).seq], [1, 2])
      assert.equal(await store.messages.lastSeq(room), 2)
    })

    await suite.test('a message PostgreSQL cannot store rejects the call with RangeError, nothing stored', async () => {
      const room = await newRoom()
      await assert.rejects(store.messages.persistBatch([inbound(room, alice), inbound(room, alice, { content: 'a\u0000b' })]), RangeError)
      await assert.rejects(store.messages.persistBatch([inbound(room, alice, { sentAt: 'yesterday' })]), RangeError)
      assert.equal(await store.messages.lastSeq(room), 0)
    })

    await suite.test('an empty batch is a no-op', async () => {
      assert.deepEqual(await store.messages.persistBatch([]), [])
    })

    await suite.test('concurrent batches over the same rooms get contiguous seqs, no duplicates, no deadlock', async () => {
      // Two pools on one database where the adapter can (PostgreSQL); one handle otherwise (PGlite serialises).
      const other = factory.sharesData ? createChatStore(await factory.open()) : store
      try {
        const rooms = [await newRoom(), await newRoom(), await newRoom()]
        const batches = Array.from({ length: 20 }, (_, b) => {
          // Each batch touches the rooms in a different order, which is what deadlocks an unordered locker.
          const order = b % 2 === 0 ? rooms : [...rooms].reverse()
          return Array.from({ length: 15 }, (_, i) => inbound(order[i % 3] as string, b % 3 === 0 ? bob : alice))
        })
        const results = await Promise.all(batches.map((batch, b) => (b % 2 === 0 ? store : other).messages.persistBatch(batch)))
        assert.equal(results.flat().filter((r) => r.status === 'stored' && !r.duplicate).length, 300)
        for (const room of rooms) {
          const page = await store.messages.page(room, { limit: 200 })
          assert.deepEqual(seqs(page), span(1, 100))
          assert.equal(new Set(page.messages.map((m) => m.id)).size, 100)
          assert.equal(await store.messages.lastSeq(room), 100)
        }
        // Within one batch, a room's messages keep their input order.
        for (const [b, batch] of batches.entries()) {
          for (const room of rooms) {
            const got = (results[b] ?? []).map(stored).filter((m) => m.roomId === room).map((m) => m.seq)
            assert.deepEqual(got, [...got].sort((x, y) => x - y))
            assert.equal(got.length, batch.filter((m) => m.roomId === room).length)
          }
        }
      } finally {
        if (other !== store) await other.close()
      }
    })

    await suite.test("moves the sender's read marker to its own message; a non-member sender moves nothing", async () => {
      const room = await newRoom()
      assert.equal(await store.rooms.addMember(room, bob.id), 'added')
      await store.messages.persistBatch([inbound(room, alice), inbound(room, alice), inbound(room, bob), inbound(room, alice)])
      const unreadOf = async (user: UserRecord): Promise<number | undefined> =>
        (await store.rooms.unread(user.id)).find((u) => u.roomId === room)?.unread
      assert.equal(await unreadOf(alice), 0)
      assert.equal(await unreadOf(bob), 1)
      // Bob leaves; his LEAVE is stored like any message, and no marker is created for him.
      assert.equal(await store.rooms.removeMember(room, bob.id), true)
      const [leave] = await store.messages.persistBatch([inbound(room, bob, { type: 'LEAVE', content: '' })])
      assert.equal(stored(leave).seq, 5)
      assert.equal(await store.rooms.isMember(room, bob.id), false)
      assert.equal(await unreadOf(alice), 1)
    })

    await suite.test('stores SQL meta-characters and any Unicode verbatim', async () => {
      const room = await newRoom()
      const content = "'; DROP TABLE messages; -- \\ \" $1 $$ {a,b} NULL \n\t ünïcødé 💬 %_"
      const senderName = "O'Brien \"x\" \\"
      const [r] = await store.messages.persistBatch([inbound(room, alice, { content, senderName, clientMsgId: 'a:b.c_d-e' })])
      assert.equal(stored(r).content, content)
      const [m] = (await store.messages.page(room, { limit: 1 })).messages
      assert.equal(m?.content, content)
      assert.equal(m?.senderName, senderName)
      assert.equal(m?.clientMsgId, 'a:b.c_d-e')
    })

    await suite.test('page: latest, before and after, ascending, with hasMore in the direction of travel', async () => {
      const room = await newRoom()
      await store.messages.persistBatch(Array.from({ length: 10 }, () => inbound(room, alice)))
      const page = (q: { before?: number, after?: number, limit: number }): ReturnType<ChatStore['messages']['page']> =>
        store.messages.page(room, q)
      const latest = await page({ limit: 4 })
      assert.deepEqual([seqs(latest), latest.hasMore], [[7, 8, 9, 10], true])
      const all = await page({ limit: 10 })
      assert.deepEqual([seqs(all), all.hasMore], [span(1, 10), false])
      const before = await page({ before: 7, limit: 4 })
      assert.deepEqual([seqs(before), before.hasMore], [[3, 4, 5, 6], true])
      const first = await page({ before: 3, limit: 4 })
      assert.deepEqual([seqs(first), first.hasMore], [[1, 2], false])
      const after = await page({ after: 2, limit: 4 })
      assert.deepEqual([seqs(after), after.hasMore], [[3, 4, 5, 6], true])
      const last = await page({ after: 6, limit: 4 })
      assert.deepEqual([seqs(last), last.hasMore], [[7, 8, 9, 10], false])
      const between = await page({ after: 2, before: 6, limit: 2 })
      assert.deepEqual([seqs(between), between.hasMore], [[3, 4], true])
      const beyond = await page({ after: 10, limit: 4 })
      assert.deepEqual([seqs(beyond), beyond.hasMore], [[], false])
      const huge = await page({ before: Number.MAX_SAFE_INTEGER, limit: 2 })
      assert.deepEqual(seqs(huge), [9, 10])
      assert.deepEqual(await store.messages.page(missingId(), { limit: 5 }), { messages: [], hasMore: false })
      await assert.rejects(page({ limit: 0 }), RangeError)
    })

    await suite.test('pages over 10,000 messages join without gap or overlap, backwards from the end and forwards from 0', async () => {
      const room = await newRoom()
      for (let b = 0; b < 20; b++) {
        const results = await store.messages.persistBatch(Array.from({ length: 500 }, () => inbound(room, alice)))
        assert.equal(stored(results[499]).seq, (b + 1) * 500)
      }
      const limit = 97 // not a divisor of 10,000: the last page is a short one
      const backwards: number[] = []
      let page = await store.messages.page(room, { limit })
      backwards.unshift(...seqs(page))
      while (page.hasMore) {
        page = await store.messages.page(room, { before: page.messages[0]?.seq, limit })
        assert.ok(page.messages.length > 0)
        backwards.unshift(...seqs(page))
      }
      assert.deepEqual(backwards, span(1, 10_000))
      const forwards: number[] = []
      let cursor = 0
      for (;;) {
        page = await store.messages.page(room, { after: cursor, limit })
        forwards.push(...seqs(page))
        if (!page.hasMore) break
        cursor = page.messages.at(-1)?.seq ?? Number.NaN
      }
      assert.deepEqual(forwards, span(1, 10_000))
    })

    await suite.test('since: everything after a seq, or the latest `limit` of it with complete:false', async () => {
      const room = await newRoom()
      await store.messages.persistBatch(Array.from({ length: 12 }, () => inbound(room, alice)))
      const few = await store.messages.since(room, 8, 10)
      assert.deepEqual([seqs(few), few.complete], [[9, 10, 11, 12], true])
      const exact = await store.messages.since(room, 2, 10)
      assert.deepEqual([seqs(exact), exact.complete], [span(3, 12), true])
      const many = await store.messages.since(room, 0, 5)
      assert.deepEqual([seqs(many), many.complete], [[8, 9, 10, 11, 12], false])
      const none = await store.messages.since(room, 12, 5)
      assert.deepEqual([seqs(none), none.complete], [[], true])
    })

    await suite.test('range: the messages strictly between two seqs, ascending', async () => {
      const room = await newRoom()
      await store.messages.persistBatch(Array.from({ length: 8 }, () => inbound(room, alice)))
      assert.deepEqual((await store.messages.range(room, 2, 6)).map((m) => m.seq), [3, 4, 5])
      assert.deepEqual((await store.messages.range(room, 0, 100)).map((m) => m.seq), span(1, 8))
      assert.deepEqual(await store.messages.range(room, 4, 5), [])
      assert.deepEqual(await store.messages.range(missingId(), 0, 10), [])
    })

    await suite.test('lastSeq: 0 for an empty room, undefined for a missing one', async () => {
      assert.equal(await store.messages.lastSeq(await newRoom()), 0)
      assert.equal(await store.messages.lastSeq(missingId()), undefined)
      assert.equal(await store.messages.lastSeq('not-a-uuid'), undefined)
    })
  })
}
