import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BusErrorCode, BusRejectedError, BusUnavailableError, type MessageBus } from '@chat/bus'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { silentLogger } from '@chat/observability'
import type { InboundMessage } from '@chat/schemas'
import { freshVhost, serverUrl, waitFor, type Disposable } from '@chat/testing'
import { Harness, errorOf, testServers, type TestUser } from './harness.js'

// POST /api/rooms/:roomId/messages end to end over the real RabbitMQ: the history app publishes on one connection,
// a dispatcher consumes on another (as two processes would) and stores into PostgreSQL; the page shows what the
// 202s promised. Then what a client sees when the broker does not confirm: 503 with a CHAT code, nothing stored.

const servers = await testServers()
const rabbitUrl = servers === undefined ? undefined : await serverUrl('RABBITMQ_URL')

interface Message { id: string, seq: number, senderId: string, type: string, content: string, clientMsgId: string }

/** `inner`, except that `publishInbound` first runs `before` (which may hold it or throw). */
function interceptedBus (inner: MessageBus, before: (message: InboundMessage) => Promise<void>): MessageBus {
  return new Proxy(inner, {
    get (target, prop) {
      if (prop === 'publishInbound') {
        return async (message: InboundMessage) => {
          await before(message)
          await target.publishInbound(message)
        }
      }
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

if (servers === undefined || rabbitUrl === undefined) {
  await it.skip('history send over RabbitMQ: PostgreSQL, Redis or RabbitMQ does not answer')
} else {
  describe('send over RabbitMQ', () => {
    let vhost: Disposable
    let historyBus: RabbitMessageBus
    let dispatcherBus: RabbitMessageBus
    let h: Harness
    let alice: TestUser
    let bob: TestUser

    before(async () => {
      vhost = await freshVhost(rabbitUrl, 'history')
      // A generous connect deadline: on a shared machine the broker may be restarting when the file starts.
      const common = { url: vhost.url, log: silentLogger, topology: { shards: 4, retryDelaysMs: [200, 1_000] }, connectTimeoutMs: 30_000 }
      historyBus = await RabbitMessageBus.connect({ ...common, connectionName: 'history-test' })
      dispatcherBus = await RabbitMessageBus.connect({ ...common, connectionName: 'dispatcher-test' })
      h = await Harness.start(servers, { tag: 'send_amqp', bus: historyBus, dispatcher: true, dispatcherBus, env: { LOGIN_RATE: '1000', RABBITMQ_SHARDS: '4' } })
      ;[alice, bob] = await Promise.all([h.user('alice'), h.user('bob')])
    })
    after(async () => {
      await h?.close()
      await historyBus?.close()
      await dispatcherBus?.close()
      await vhost?.drop()
    })

    async function messagesOf (user: TestUser, roomId: string): Promise<Message[]> {
      const all: Message[] = []
      let after = 0
      for (;;) {
        const res = await h.api.get(`/api/rooms/${roomId}/messages?after=${after}&limit=100`, { token: user })
        assert.equal(res.status, 200, res.text)
        const page = res.json as { messages: Message[], hasMore: boolean }
        all.push(...page.messages)
        if (!page.hasMore) return all
        after = page.messages.at(-1)?.seq ?? after
      }
    }

    it('202s are stored exactly once, each with the next seq of the room, no gap and no duplicate', async () => {
      const roomId = await h.room(alice, 'amqp-room')
      assert.equal((await h.api.post(`/api/rooms/${roomId}/join`, { token: bob })).status, 204)
      const sends = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
        const user = i % 2 === 0 ? alice : bob
        const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: user, body: { content: `message ${i} 'quoted' "double" \\ ;`, clientMsgId: `amqp-${i}` } })
        assert.equal(res.status, 202, res.text)
        return { ...(res.json as { id: string, clientMsgId: string }), senderId: user.userId, i }
      }))
      // 1 ENTER + 40 TALK.
      await h.storedUpTo(roomId, 41, 20_000)
      const stored = await messagesOf(alice, roomId)
      assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: 41 }, (_, i) => i + 1))
      assert.equal(stored[0]?.type, 'ENTER')
      const byId = new Map(stored.map((m) => [m.id, m]))
      for (const s of sends) {
        const m = byId.get(s.id)
        assert.ok(m !== undefined, `message ${s.i} (${s.id}) stored`)
        assert.equal(m.clientMsgId, s.clientMsgId)
        assert.equal(m.senderId, s.senderId)
        assert.equal(m.content, `message ${s.i} 'quoted' "double" \\ ;`)
      }
      assert.equal(new Set(stored.map((m) => m.clientMsgId)).size, 41)
    })

    it('sends one after the other (each awaiting its 202) are stored in that order', async () => {
      const roomId = await h.room(alice, 'amqp-order')
      const ids: string[] = []
      for (let i = 0; i < 10; i++) {
        const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: `n${i}` } })
        assert.equal(res.status, 202)
        ids.push((res.json as { id: string }).id)
      }
      await h.storedUpTo(roomId, 10)
      assert.deepEqual((await messagesOf(alice, roomId)).map((m) => m.id), ids)
    })

    it('a resend with the same clientMsgId after a 202 stores nothing new', async () => {
      const roomId = await h.room(alice, 'amqp-resend')
      for (let i = 0; i < 3; i++) {
        const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'same', clientMsgId: 'retry-me' } })
        assert.equal(res.status, 202)
      }
      const marker = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'marker', clientMsgId: 'marker' } })
      assert.equal(marker.status, 202)
      await h.storedUpTo(roomId, 2)
      assert.deepEqual((await messagesOf(alice, roomId)).map((m) => [m.seq, m.clientMsgId]), [[1, 'retry-me'], [2, 'marker']])
    })

    it('answers 202 only after the broker confirmed: held while the publish is held', async () => {
      const roomId = await h.room(alice, 'amqp-held')
      let release: () => void = () => {}
      let entered: () => void = () => {}
      const isEntered = new Promise<void>((resolve) => { entered = resolve })
      const held = new Promise<void>((resolve) => { release = resolve })
      const { api } = await h.otherApp({ bus: interceptedBus(historyBus, async () => { entered(); await held }) })
      let settled = false
      const pending = api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'wait for it', clientMsgId: 'held-1' } })
        .finally(() => { settled = true })
      // 1. The handler reached the publish; 2. other requests complete meanwhile; 3. this one does not.
      await isEntered
      for (let i = 0; i < 5; i++) assert.equal((await api.get('/healthz')).status, 200)
      assert.equal(settled, false, 'no answer before the confirm')
      assert.equal(await h.store.messages.lastSeq(roomId), 0)
      // 4. The publish goes out and is confirmed: 202, and the dispatcher stores it.
      release()
      const res = await pending
      assert.equal(res.status, 202, res.text)
      await h.storedUpTo(roomId, 1)
    })

    it('503 CHAT_BROKER_UNAVAILABLE when the broker cannot be reached (a real bus pointed at a dead port)', async () => {
      const dead = await RabbitMessageBus.connect({ url: 'amqp://guest:guest@127.0.0.1:1/', log: silentLogger, connectTimeoutMs: 0, publishTimeoutMs: 300, reconnectDelayMs: 60_000 })
      try {
        const { api } = await h.otherApp({ bus: dead })
        const roomId = await h.room(alice, 'amqp-dead')
        const res = await api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'lost?', clientMsgId: 'dead-1' } })
        assert.equal(res.status, 503, res.text)
        assert.equal(errorOf(res).code, 'CHAT_BROKER_UNAVAILABLE')
        assert.doesNotMatch(res.text, /ECONNREFUSED|127\.0\.0\.1|amqp|stack/i)
        // A join needs its ENTER message: refused too, and the membership is undone.
        const join = await api.post(`/api/rooms/${roomId}/join`, { token: bob })
        assert.equal(join.status, 503)
        assert.equal(errorOf(join).code, 'CHAT_BROKER_UNAVAILABLE')
        assert.equal(await h.store.rooms.isMember(roomId, bob.userId), false)
        // Not ready while the broker is away.
        const ready = await api.get('/readyz')
        assert.equal(ready.status, 503)
        assert.equal((ready.json as { checks: Record<string, boolean> }).checks.bus, false)
        // Nothing reached the room.
        assert.equal(await h.store.messages.lastSeq(roomId), 0)
      } finally {
        await dead.close()
      }
    })

    it('503 with the right code for a publish that times out, fills the buffer, or is refused', async () => {
      const roomId = await h.room(alice, 'amqp-refused')
      const cases = [
        { err: new BusUnavailableError(BusErrorCode.TIMEOUT, 'no confirm'), code: 'CHAT_BROKER_UNAVAILABLE' },
        { err: new BusUnavailableError(BusErrorCode.BUFFER_FULL, 'buffer full'), code: 'CHAT_BROKER_UNAVAILABLE' },
        { err: new BusRejectedError(BusErrorCode.NACKED, 'nacked'), code: 'CHAT_BROKER_REJECTED' },
        { err: new BusRejectedError(BusErrorCode.UNROUTABLE, 'unroutable'), code: 'CHAT_BROKER_REJECTED' },
      ]
      for (const { err, code } of cases) {
        const { api } = await h.otherApp({ bus: interceptedBus(historyBus, async () => { throw err }) })
        const res = await api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x' } })
        assert.equal(res.status, 503, `${err.code}: ${res.text}`)
        assert.equal(errorOf(res).code, code, err.code)
        assert.doesNotMatch(res.text, /BUS_ERR|nacked|unroutable|no confirm|buffer full/)
      }
      // Then the broker is back: the same path works.
      const ok = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'back', clientMsgId: 'back-1' } })
      assert.equal(ok.status, 202)
      await waitFor(async () => (await h.store.messages.lastSeq(roomId)) === 1, { what: 'the message after the outage' })
    })
  })
}
