import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ChatApi, Ledger, LedgerClient, RawStompClient, SplitDeployment, freshDatabase, freshVhost, readStoredMessages, serverUrl, waitFor,
  type Disposable, type TestUser,
} from '@chat/testing'

// The whole pipeline as separate processes (issue #4): two edges, two dispatchers and history on the
// real RabbitMQ, PostgreSQL and Redis. A checker (the Ledger) counts lost, duplicated and out-of-order
// messages and gaps against what PostgreSQL holds; every count must be 0.

const [pg, amqp, redis] = [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL'), await serverUrl('REDIS_URL')]
const skip = pg === undefined || amqp === undefined || redis === undefined
let d: SplitDeployment
let api: ChatApi
let databaseUrl: string
const disposables: Disposable[] = []

before(async () => {
  if (skip) return
  const db = await freshDatabase(pg, 'pipeline')
  const vhost = await freshVhost(amqp, 'pipeline')
  disposables.push(db, vhost)
  databaseUrl = db.url
  d = await SplitDeployment.start({
    databaseUrl: db.url,
    rabbitmqUrl: vhost.url,
    redisUrl: redis,
    edges: 2,
    dispatchers: 2,
    env: { LOGIN_RATE: '1000', RABBITMQ_SHARDS: '8', DISPATCH_RETRY_DELAYS_MS: '200,400' },
    edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' },
  })
  api = new ChatApi(d.api)
})
after(async () => {
  await d?.stop()
  for (const x of disposables) await x.drop().catch(() => {})
})

async function members (prefix: string, count: number): Promise<TestUser[]> {
  return await Promise.all(Array.from({ length: count }, async (_, i) => await api.user(`${prefix}${i}`)))
}

async function roomOf (users: TestUser[]): Promise<string> {
  const [owner, ...rest] = users
  if (owner === undefined) throw new Error('no owner')
  const room = await api.createRoom(owner)
  for (const u of rest) await api.join(u, room)
  return room
}

function fetchRange (token: string): (roomId: string, afterSeq: number, beforeSeq: number) => Promise<number[]> {
  return async (roomId, afterSeq, beforeSeq) => {
    const seqs: number[] = []
    let cursor = afterSeq
    while (cursor < beforeSeq - 1) {
      const page = await api.ok<{ messages: Array<{ seq: number }>, hasMore: boolean }>('GET', `/api/rooms/${roomId}/messages?after=${cursor}&limit=100`, undefined, token)
      for (const m of page.messages) if (m.seq < beforeSeq) seqs.push(m.seq)
      if (!page.hasMore || page.messages.length === 0) break
      cursor = page.messages[page.messages.length - 1]?.seq ?? beforeSeq
    }
    return seqs
  }
}

async function settle (ledger: Ledger, clients: LedgerClient[], rooms: string[]): Promise<ReturnType<Ledger['check']>> {
  let report = ledger.check(await readStoredMessages(databaseUrl, rooms))
  await waitFor(async () => {
    for (const c of clients) await c.settled()
    report = ledger.check(await readStoredMessages(databaseUrl, rooms))
    return report.lost === 0 && report.unanswered === 0
  }, { timeoutMs: 30_000, intervalMs: 250, what: 'every receipted message stored and delivered' }).catch(() => {})
  return report
}

test('clients spread over two edges in the same rooms each get every message once, in seq order; seqs 1..N', { skip }, async () => {
  const ledger = new Ledger()
  const users = await members('spread', 6)
  const rooms = [await roomOf(users), await roomOf(users)]
  const clients = users.map((u) => new LedgerClient(u.username, ledger, u.accessToken, rooms, fetchRange(u.accessToken)))
  await Promise.all(clients.map(async (c, i) => { await c.connect(d.edges[i % 2]?.wsUrl ?? '') }))
  for (let i = 0; i < 600; i++) {
    const c = clients[i % clients.length] as LedgerClient
    c.send(rooms[i % 2] as string, `spread-${i}`)
  }
  const report = await settle(ledger, clients, rooms)
  for (const c of clients) c.close()
  assert.deepEqual(
    { lost: report.lost, duplicated: report.duplicated, outOfOrder: report.outOfOrder, gaps: report.gaps, unexpected: report.unexpected, unanswered: report.unanswered },
    { lost: 0, duplicated: 0, outOfOrder: 0, gaps: 0, unexpected: 0, unanswered: 0 },
    report.problems.join('\n'),
  )
  assert.equal(report.receipted, 600)
})

test('kill -9 of a dispatcher with thousands in flight: every receipted message stored once, contiguous, delivered', { skip }, async () => {
  const ledger = new Ledger()
  const users = await members('crash', 4)
  const rooms = [await roomOf(users), await roomOf(users), await roomOf(users)]
  const clients = users.map((u) => new LedgerClient(u.username, ledger, u.accessToken, rooms, fetchRange(u.accessToken)))
  await Promise.all(clients.map(async (c, i) => { await c.connect(d.edges[i % 2]?.wsUrl ?? '') }))
  const total = 4_000
  let killed = false
  for (let i = 0; i < total; i++) {
    const c = clients[i % clients.length] as LedgerClient
    c.send(rooms[i % rooms.length] as string, `crash-${i}`)
    if (i === 1_500 && !killed) {
      killed = true
      // Both dispatchers consume (single active consumer per shard); kill the first, then bring one back.
      await d.dispatchers[0]?.kill('SIGKILL')
    }
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  await d.addDispatcher()
  const report = await settle(ledger, clients, rooms)
  for (const c of clients) c.close()
  assert.deepEqual(
    { lost: report.lost, duplicated: report.duplicated, outOfOrder: report.outOfOrder, gaps: report.gaps, unexpected: report.unexpected, unanswered: report.unanswered },
    { lost: 0, duplicated: 0, outOfOrder: 0, gaps: 0, unexpected: 0, unanswered: 0 },
    report.problems.join('\n'),
  )
  assert.equal(report.receipted, total)
})

test('the same clientMsgId sent three times over STOMP and REST makes one message', { skip }, async () => {
  const [u] = await members('idem', 1)
  assert.ok(u !== undefined)
  const room = await roomOf([u])
  const c = await RawStompClient.connect(d.edges[1]?.wsUrl ?? '', u.accessToken)
  for (let i = 0; i < 3; i++) {
    c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: `r${i}` }, body: JSON.stringify({ content: 'once', clientMsgId: 'stomp-key' }) })
    await c.next((f) => f.headers['receipt-id'] === `r${i}`)
  }
  for (let i = 0; i < 3; i++) {
    const res: { status: number, body: { id: string, clientMsgId: string } } = await api.request('POST', `/api/rooms/${room}/messages`, { content: 'once', clientMsgId: 'rest-key' }, u.accessToken)
    assert.equal(res.status, 202)
    assert.equal(res.body.clientMsgId, 'rest-key')
  }
  await waitFor(async () => (await readStoredMessages(databaseUrl, [room])).filter((m) => m.type === 'TALK').length === 2, { what: 'the two messages stored' })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const stored = (await readStoredMessages(databaseUrl, [room])).filter((m) => m.type === 'TALK')
  assert.deepEqual(stored.map((m) => m.clientMsgId), ['stomp-key', 'rest-key'])
  c.close()
})
