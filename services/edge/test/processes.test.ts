import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ChatApi, RawStompClient, SplitDeployment, freshDatabase, freshVhost, serverUrl, waitFor, type Disposable } from '@chat/testing'
import { STACK_KIND } from './harness.js'

// The edge as its own process (issue #3): presence of a SIGKILLed edge expires on its own; a slow
// consumer is closed while a fast one in the same room keeps receiving; SIGTERM drains every session
// with a reconnect-after-ms and loses no confirmed SEND.

// Separate processes need the real servers: on the embedded adapters (STACK_KIND) this file does not apply.
const [pg, amqp, redis] = STACK_KIND === 'embedded'
  ? []
  : [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL'), await serverUrl('REDIS_URL')]
const skip = pg === undefined || amqp === undefined || redis === undefined
let deployment: SplitDeployment
let api: ChatApi
const disposables: Disposable[] = []

before(async () => {
  if (skip) return
  const db = await freshDatabase(pg, 'edgeproc')
  const vhost = await freshVhost(amqp, 'edgeproc')
  disposables.push(db, vhost)
  deployment = await SplitDeployment.start({
    databaseUrl: db.url,
    rabbitmqUrl: vhost.url,
    redisUrl: redis,
    edges: 1,
    dispatchers: 1,
    env: { PRESENCE_TTL_MS: '1500', LOGIN_RATE: '1000', RABBITMQ_SHARDS: '4', DISPATCH_RETRY_DELAYS_MS: '200,400' },
    // The slow-consumer test sends 3,000 SENDs at once: the bucket holds them all (with a burst of 2,000 the edge
    // rate-limited the last ~150 whenever they arrived within half a second, and the fast reader waited for them in vain).
    edgeEnv: { EDGE_SLOW_CONSUMER_MS: '1000', SEND_RATE: '2000', SEND_BURST: '4000', EDGE_DRAIN_WINDOW_MS: '3000' },
  })
  api = new ChatApi(deployment.api)
})
after(async () => {
  await deployment?.stop()
  for (const d of disposables) await d.drop().catch(() => {})
})

test('presence of a SIGKILLed edge\'s sessions expires on its own', { skip }, async () => {
  const [alice, bob] = [await api.user('p-alice'), await api.user('p-bob')]
  const room = await api.createRoom(alice)
  await api.join(bob, room)
  const doomed = await deployment.addEdge()
  const c = await RawStompClient.connect(doomed.wsUrl, bob.accessToken)
  c.send({ command: 'SUBSCRIBE', headers: { id: 'r', destination: `/topic/rooms.${room}`, receipt: 's' } })
  await c.next((f) => f.headers['receipt-id'] === 's')
  const online = async (): Promise<string[]> => (await api.ok<{ online: Array<{ userId: string }> }>('GET', `/api/rooms/${room}/presence`, undefined, alice.accessToken)).online.map((o) => o.userId)
  await waitFor(async () => (await online()).includes(bob.userId), { what: 'bob online' })
  const killedAt = Date.now()
  await doomed.kill('SIGKILL')
  await waitFor(async () => !(await online()).includes(bob.userId), { timeoutMs: 10_000, what: 'bob gone' })
  const took = Date.now() - killedAt
  assert.ok(took <= 1500 + 1000, `expired ${took} ms after the kill (ttl 1500 ms)`)
  const status = await api.ok<{ online: boolean }>('GET', `/api/users/${bob.userId}/presence`, undefined, alice.accessToken)
  assert.equal(status.online, false)
  c.close()
})

test('a slow consumer is closed at the buffer limit while a fast one in the same room keeps receiving', { skip }, async () => {
  const edge = deployment.edges[0]
  assert.ok(edge !== undefined)
  const [sender, fast, slow] = [await api.user('s-sender'), await api.user('s-fast'), await api.user('s-slow')]
  const room = await api.createRoom(sender)
  await api.join(fast, room)
  await api.join(slow, room)
  const topic = `/topic/rooms.${room}`
  const f = await RawStompClient.connect(edge.wsUrl, fast.accessToken)
  const sl = await RawStompClient.connect(edge.wsUrl, slow.accessToken)
  for (const c of [f, sl]) {
    c.send({ command: 'SUBSCRIBE', headers: { id: 'r', destination: topic, receipt: 's' } })
    await c.next((fr) => fr.headers['receipt-id'] === 's')
  }
  // The slow client stops reading: its kernel buffers fill, then the edge's queue for it grows.
  ;(sl.ws as unknown as { _socket: { pause: () => void } })._socket.pause()
  const s = await RawStompClient.connect(edge.wsUrl, sender.accessToken)
  const content = 'x'.repeat(7_000)
  const total = 3_000
  for (let i = 0; i < total; i++) {
    s.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, ...(i === total - 1 ? { receipt: 'last' } : {}) }, body: JSON.stringify({ content, clientMsgId: `m${i}` }) })
  }
  await s.next((fr) => fr.headers['receipt-id'] === 'last', 60_000)
  await f.waitForMessages(topic, total, 60_000)
  // Seqs 1 and 2 are the ENTER messages of the two joins; the fast reader gets every message after them.
  const got = f.messages(topic).map((m) => Number(m.headers.seq))
  assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + (got[0] ?? 0)))
  assert.equal(got[got.length - 1], total + 2)
  // The slow one is cut off by the edge once its queue stayed over 1 MiB for the configured time.
  await waitFor(async () => /chat_edge_slow_consumer_closes_total [1-9]/.test(await (await fetch(`${edge.url}/metrics`)).text()), { timeoutMs: 15_000, what: 'a slow-consumer close' })
  ;(sl.ws as unknown as { _socket: { resume: () => void } })._socket.resume()
  await sl.waitClosed(15_000)
  assert.ok(sl.messages(topic).length < total, 'the slow reader did not get everything')
  assert.equal(f.closeCode, undefined)
  f.close()
  s.close()
})

test('SIGTERM drains: every session gets server-shutdown with reconnect-after-ms, no confirmed SEND is lost', { skip }, async () => {
  const edge = await deployment.addEdge()
  const users = await Promise.all(Array.from({ length: 6 }, async (_, i) => await api.user(`d-user${i}`)))
  const owner = users[0]
  assert.ok(owner !== undefined)
  const room = await api.createRoom(owner)
  for (const u of users.slice(1)) await api.join(u, room)
  const clients = await Promise.all(users.map(async (u) => await RawStompClient.connect(edge.wsUrl, u.accessToken)))
  // Every client sends continuously with receipts while the edge is told to stop.
  const receipted = new Set<string>()
  const state = { stop: false }
  const senders = clients.map(async (c, ci) => {
    for (let i = 0; !state.stop && c.closeCode === undefined; i++) {
      const id = `c${ci}-${i}`
      c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: id }, body: JSON.stringify({ content: id, clientMsgId: id }) })
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  edge.child.kill('SIGTERM')
  const errors = await Promise.all(clients.map(async (c) => await c.next((fr) => fr.command === 'ERROR', 15_000)))
  state.stop = true
  await Promise.all(senders)
  for (const e of errors) {
    assert.equal(e.headers.message, 'server-shutdown')
    const after = Number(e.headers['reconnect-after-ms'])
    assert.ok(Number.isInteger(after) && after >= 0 && after <= 3000, `reconnect-after-ms ${String(e.headers['reconnect-after-ms'])}`)
  }
  assert.ok(new Set(errors.map((e) => e.headers['reconnect-after-ms'])).size > 1, 'spread at random')
  for (const c of clients) {
    await c.waitClosed(15_000)
    for (const fr of c.frames) if (fr.command === 'RECEIPT' && fr.headers['receipt-id'] !== undefined) receipted.add(fr.headers['receipt-id'])
  }
  assert.equal(await edge.exited, 0)
  assert.ok(receipted.size > 0)
  // Every receipted message is stored (the dispatcher may still be finishing).
  await waitFor(async () => {
    const stored = new Set<string>()
    let after = 0
    for (;;) {
      const page = await api.ok<{ messages: Array<{ clientMsgId: string, seq: number }>, hasMore: boolean }>('GET', `/api/rooms/${room}/messages?after=${after}&limit=100`, undefined, owner.accessToken)
      for (const m of page.messages) stored.add(m.clientMsgId)
      if (!page.hasMore) break
      after = page.messages[page.messages.length - 1]?.seq ?? after
    }
    return [...receipted].every((id) => stored.has(id))
  }, { timeoutMs: 15_000, what: 'every receipted message stored' })
  const readyz = await fetch(`${edge.url}/readyz`).catch(() => undefined)
  assert.equal(readyz, undefined, 'the process is gone')
})
