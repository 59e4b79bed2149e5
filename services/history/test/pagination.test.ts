import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newId, type InboundMessage } from '@chat/schemas'
import { Harness, testServers, type TestUser } from './harness.js'

// Scroll-back over a room of 10,000 messages: walking `before` from the newest and `after` from 0 with several page
// sizes, the pages join without gap or overlap and `hasMore` is exact at both ends. Another room's messages,
// interleaved with the same seqs, must never leak in.

const TOTAL = 10_000
const OTHER = 300

interface Message { id: string, roomId: string, seq: number, senderId: string, content: string, clientMsgId: string, sentAt: string }
interface Page { messages: Message[], hasMore: boolean }

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history pagination: PostgreSQL or Redis does not answer')
} else {
  describe(`pagination over ${TOTAL} messages`, () => {
    let h: Harness
    let alice: TestUser
    let roomId: string
    let otherRoomId: string

    before(async () => {
      h = await Harness.start(servers, { tag: 'pagination' })
      alice = await h.user('alice')
      roomId = await h.room(alice, 'big')
      otherRoomId = await h.room(alice, 'neighbour')
      const t0 = Date.parse('2024-05-01T12:00:00.000Z')
      const message = (room: string, n: number): InboundMessage => ({
        v: 1,
        id: newId(),
        roomId: room,
        senderId: alice.userId,
        senderName: 'alice',
        type: 'TALK',
        content: `${room === roomId ? 'big' : 'other'} #${n}`,
        clientMsgId: `seed-${n}`,
        sentAt: new Date(t0 + n).toISOString(),
      })
      // Batches of 500 mixing both rooms, so their seqs interleave in the table.
      for (let start = 1; start <= TOTAL; start += 500) {
        const batch: InboundMessage[] = []
        for (let n = start; n < start + 500; n++) {
          batch.push(message(roomId, n))
          if (n <= OTHER) batch.push(message(otherRoomId, n))
        }
        const results = await h.store.messages.persistBatch(batch)
        assert.ok(results.every((r) => r.status === 'stored' && !r.duplicate))
      }
      assert.equal(await h.store.messages.lastSeq(roomId), TOTAL)
    })
    after(async () => { await h?.close() })

    async function page (query: string): Promise<Page> {
      const res = await h.api.get(`/api/rooms/${roomId}/messages?${query}`, { token: alice })
      assert.equal(res.status, 200, `${query}: ${res.text}`)
      return res.json as Page
    }

    function assertPageShape (p: Page, query: string): void {
      for (let i = 1; i < p.messages.length; i++) {
        assert.equal(p.messages[i]?.seq, (p.messages[i - 1]?.seq ?? 0) + 1, `${query}: ascending and contiguous`)
      }
      for (const m of p.messages) {
        assert.equal(m.roomId, roomId, `${query}: only this room`)
        assert.equal(m.content, `big #${m.seq}`, `${query}: seq ${m.seq} is the message stored as #${m.seq}`)
        assert.equal(m.sentAt, new Date(Date.parse('2024-05-01T12:00:00.000Z') + m.seq).toISOString())
      }
    }

    /** Walks back from the newest page with `before` until hasMore is false; returns every seq seen, newest page first. */
    async function walkBackward (limit: number): Promise<{ seqs: number[], pages: number }> {
      const seqs: number[] = []
      let pages = 0
      let query = `limit=${limit}`
      for (;;) {
        const p = await page(query)
        pages++
        assertPageShape(p, query)
        assert.equal(p.messages.length, p.hasMore ? limit : p.messages.length, `${query}: full pages while more exist`)
        seqs.unshift(...p.messages.map((m) => m.seq))
        const first = p.messages[0]?.seq
        if (!p.hasMore) {
          assert.equal(first, 1, `${query}: the last page backwards reaches seq 1`)
          return { seqs, pages }
        }
        assert.ok(first !== undefined && first > 1)
        query = `before=${first}&limit=${limit}`
      }
    }

    async function walkForward (limit: number): Promise<{ seqs: number[], pages: number }> {
      const seqs: number[] = []
      let pages = 0
      let after = 0
      for (;;) {
        const query = `after=${after}&limit=${limit}`
        const p = await page(query)
        pages++
        assertPageShape(p, query)
        seqs.push(...p.messages.map((m) => m.seq))
        const last = p.messages.at(-1)?.seq
        if (!p.hasMore) {
          assert.equal(last, TOTAL, `${query}: the last page forwards ends at the newest`)
          return { seqs, pages }
        }
        assert.equal(p.messages.length, limit, `${query}: full pages while more exist`)
        assert.ok(last !== undefined)
        after = last
      }
    }

    const everySeq = Array.from({ length: TOTAL }, (_, i) => i + 1)

    for (const limit of [100, 37, 50]) {
      it(`walks backward with before, limit ${limit}: every seq once, in order`, async () => {
        const { seqs, pages } = await walkBackward(limit)
        assert.deepEqual(seqs, everySeq)
        assert.equal(pages, Math.ceil(TOTAL / limit))
      })

      it(`walks forward with after from 0, limit ${limit}: every seq once, in order`, async () => {
        const { seqs, pages } = await walkForward(limit)
        assert.deepEqual(seqs, everySeq)
        assert.equal(pages, Math.ceil(TOTAL / limit))
      })
    }

    it('the default page is the newest 50, hasMore true', async () => {
      const p = await page('')
      assert.deepEqual(p.messages.map((m) => m.seq), everySeq.slice(-50))
      assert.equal(p.hasMore, true)
    })

    it('hasMore is exact at the ends, including pages that end exactly on the first or last message', async () => {
      const cases: Array<[string, number[], boolean]> = [
        // [query, expected seqs, hasMore]
        ['before=101&limit=100', everySeq.slice(0, 100), false],
        ['before=102&limit=100', everySeq.slice(1, 101), true],
        ['before=2&limit=1', [1], false],
        ['before=3&limit=1', [2], true],
        ['before=1&limit=100', [], false],
        ['before=0', [], false],
        [`before=${TOTAL + 1}&limit=100`, everySeq.slice(-100), true],
        [`before=${2 ** 31 - 1}&limit=3`, everySeq.slice(-3), true],
        [`after=${TOTAL - 100}&limit=100`, everySeq.slice(-100), false],
        [`after=${TOTAL - 101}&limit=100`, everySeq.slice(-101, -1), true],
        [`after=${TOTAL - 1}&limit=1`, [TOTAL], false],
        [`after=${TOTAL - 2}&limit=1`, [TOTAL - 1], true],
        [`after=${TOTAL}`, [], false],
        [`after=${TOTAL + 500}`, [], false],
        ['after=0&limit=1', [1], true],
      ]
      for (const [query, seqs, hasMore] of cases) {
        const p = await page(query)
        assert.deepEqual(p.messages.map((m) => m.seq), seqs, query)
        assert.equal(p.hasMore, hasMore, `${query}: hasMore`)
      }
    })

    it('limit 1 walks the first and last 200 one by one', async () => {
      let before = TOTAL + 1
      for (let i = 0; i < 200; i++) {
        const p = await page(`before=${before}&limit=1`)
        assert.deepEqual(p.messages.map((m) => m.seq), [before - 1])
        assert.equal(p.hasMore, true)
        before--
      }
      let after = 0
      for (let i = 0; i < 200; i++) {
        const p = await page(`after=${after}&limit=1`)
        assert.deepEqual(p.messages.map((m) => m.seq), [after + 1])
        assert.equal(p.hasMore, true)
        after++
      }
    })

    it('the neighbouring room pages only its own messages', async () => {
      const res = await h.api.get(`/api/rooms/${otherRoomId}/messages?after=0&limit=100`, { token: alice })
      const p = res.json as Page
      assert.deepEqual(p.messages.map((m) => m.seq), everySeq.slice(0, 100))
      assert.ok(p.messages.every((m) => m.roomId === otherRoomId && m.content === `other #${m.seq}`))
      const last = (await h.api.get(`/api/rooms/${otherRoomId}/messages?after=${OTHER - 10}`, { token: alice })).json as Page
      assert.deepEqual(last.messages.map((m) => m.seq), everySeq.slice(OTHER - 10, OTHER))
      assert.equal(last.hasMore, false)
    })
  })
}
