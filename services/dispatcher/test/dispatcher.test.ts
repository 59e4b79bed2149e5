import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import amqp from 'amqplib'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import type { EdgeDelivery, MessageBus } from '@chat/bus'
import { createChatStore, type ChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { newId, type InboundMessage } from '@chat/schemas'
import { ExchangeName, shardOf, shardRoutingKey } from '@chat/topology'
import { createMetricsRegistry, silentLogger } from '@chat/observability'
import { TcpProxy, freshDatabase, freshVhost, serverUrl, uniqueName, waitFor, type Disposable } from '@chat/testing'
import { Dispatcher, createDispatcherMetrics } from '../src/index.js'

// The dispatcher against the real RabbitMQ and PostgreSQL: ordered, idempotent, batched persistence;
// retries through the delay queues to the DLQ without a hot loop; a crash between commit and ack
// absorbed; a database outage paused through, nothing acked early, nothing dead-lettered.

const [pg, amqpUrl] = [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL')]
const skip = pg === undefined || amqpUrl === undefined
const SHARDS = 4
const MAX_ATTEMPTS = 3
const DELAYS = [150, 300]
const disposables: Disposable[] = []
let vhostUrl: string
let databaseUrl: string

before(async () => {
  if (skip) return
  const db = await freshDatabase(pg, 'disp')
  const vhost = await freshVhost(amqpUrl, 'disp')
  disposables.push(db, vhost)
  vhostUrl = vhost.url
  databaseUrl = db.url
  const database = await openPostgresDatabase({ url: db.url })
  await database.migrate()
  await database.close()
})
after(async () => { for (const d of disposables) await d.drop().catch(() => {}) })

interface Rig {
  readonly bus: MessageBus
  readonly store: ChatStore
  readonly dispatcher: Dispatcher
  readonly deliveries: EdgeDelivery[]
  close: () => Promise<void>
}

async function rig (options: { databaseUrl?: string, afterCommit?: (m: readonly InboundMessage[]) => void | Promise<void> } = {}): Promise<Rig> {
  const bus = await RabbitMessageBus.connect({ url: vhostUrl, log: silentLogger, topology: { shards: SHARDS, retryDelaysMs: DELAYS }, connectionName: 'dispatcher-test' })
  const database = await openPostgresDatabase({ url: options.databaseUrl ?? databaseUrl, connectTimeoutMs: 1_000 })
  const store = createChatStore(database)
  const deliveries: EdgeDelivery[] = []
  const queue = await bus.openEdgeQueue(uniqueName('watch'), (d) => deliveries.push(d))
  const dispatcher = new Dispatcher({
    bus,
    messages: store.messages,
    log: silentLogger,
    metrics: createDispatcherMetrics(createMetricsRegistry({ defaultMetrics: false })),
    options: { prefetch: 256, batchMax: 200, maxAttempts: MAX_ATTEMPTS, backoffMaxMs: 500 },
    ...(options.afterCommit === undefined ? {} : { afterCommit: options.afterCommit }),
  })
  await dispatcher.start()
  return {
    bus,
    store,
    dispatcher,
    deliveries,
    async close () {
      await dispatcher.close()
      await queue.close()
      await bus.close()
      await store.close()
    },
  }
}

async function roomWithMember (store: ChatStore): Promise<{ roomId: string, userId: string }> {
  const user = await store.users.createUser(uniqueName('u').slice(0, 30), 'x')
  if (user === 'taken') throw new Error('taken')
  const room = await store.rooms.createRoom({ creatorId: user.id, name: 'r', visibility: 'public' })
  return { roomId: room.id, userId: user.id }
}

function message (roomId: string, senderId: string, content: string, clientMsgId = newId()): InboundMessage {
  return { v: 1, id: newId(), roomId, senderId, senderName: 'sender', type: 'TALK', content, clientMsgId, sentAt: new Date().toISOString() }
}

test('messages of many rooms are stored in publish order with contiguous seqs, in batches', { skip }, async (t) => {
  const r = await rig()
  t.after(async () => { await r.close() })
  const rooms = await Promise.all(Array.from({ length: 6 }, async () => await roomWithMember(r.store)))
  const sent = new Map<string, string[]>()
  const publishes: Array<Promise<void>> = []
  for (let i = 0; i < 3_000; i++) {
    const room = rooms[i % rooms.length] as { roomId: string, userId: string }
    const content = `m${i}`
    sent.set(room.roomId, [...(sent.get(room.roomId) ?? []), content])
    publishes.push(r.bus.publishInbound(message(room.roomId, room.userId, content)))
  }
  await Promise.all(publishes)
  for (const room of rooms) {
    await waitFor(async () => (await r.store.messages.lastSeq(room.roomId)) === 500, { timeoutMs: 20_000, what: 'every message stored' })
    const stored: string[] = []
    let afterSeq = 0
    for (;;) {
      const page = await r.store.messages.page(room.roomId, { after: afterSeq, limit: 100 })
      stored.push(...page.messages.map((m) => m.content))
      assert.deepEqual(page.messages.map((m) => m.seq), Array.from({ length: page.messages.length }, (_, k) => afterSeq + k + 1))
      if (!page.hasMore) break
      afterSeq += page.messages.length
    }
    assert.deepEqual(stored, sent.get(room.roomId))
  }
})

test('the same clientMsgId three times yields one message, delivered each time with the stored seq', { skip }, async (t) => {
  const r = await rig()
  t.after(async () => { await r.close() })
  const { roomId, userId } = await roomWithMember(r.store)
  const queue = await r.bus.openEdgeQueue(uniqueName('e'), (d) => r.deliveries.push(d))
  t.after(async () => { await queue.close() })
  await queue.bind({ kind: 'room', roomId })
  const first = message(roomId, userId, 'once', 'same-id')
  await r.bus.publishInbound(first)
  for (let i = 0; i < 2; i++) await r.bus.publishInbound({ ...first, id: newId() })
  await waitFor(() => r.deliveries.filter((d) => d.kind === 'room' && d.roomId === roomId).length >= 3, { what: 'three deliveries' })
  const page = await r.store.messages.page(roomId, { limit: 10 })
  assert.equal(page.messages.length, 1)
  assert.equal(page.messages[0]?.id, first.id, 'the first id is kept')
  const seqs = r.deliveries.filter((d) => d.kind === 'room' && d.roomId === roomId).map((d) => (d as { seq: number }).seq)
  assert.deepEqual(seqs, [1, 1, 1])
})

test('a poison message reaches chat.dlq after exactly the attempt limit; later messages of its room are not held back', { skip }, async (t) => {
  const r = await rig()
  t.after(async () => { await r.close() })
  const { roomId, userId } = await roomWithMember(r.store)
  // Undecodable bytes on the room's shard, then a normal message of the same room.
  const conn = await amqp.connect(vhostUrl)
  const ch = await conn.createConfirmChannel()
  const publishedAt = Date.now()
  ch.publish(ExchangeName.INBOUND, shardRoutingKey(shardOf(roomId, SHARDS)), Buffer.from('{not json'), { persistent: true, headers: { 'x-retry-count': 0 } })
  await ch.waitForConfirms()
  await conn.close()
  await r.bus.publishInbound(message(roomId, userId, 'after the poison'))
  await waitFor(async () => (await r.store.messages.lastSeq(roomId)) === 1, { timeoutMs: 2_000, what: 'the normal message stored' })
  assert.ok(Date.now() - publishedAt < (DELAYS[0] ?? 0) + 1_000, 'not held back by more than the delays')
  // A message whose room does not exist fails for its own reasons too.
  await r.bus.publishInbound(message(newId(), userId, 'room gone'))
  const letters = await waitFor(async () => {
    const got = await r.bus.takeDeadLetters(10)
    return got.length > 0 ? got : undefined
  }, { timeoutMs: 10_000, what: 'dead letters' })
  const more = await waitFor(async () => {
    const got = await r.bus.takeDeadLetters(10)
    return got.length > 0 ? got : undefined
  }, { timeoutMs: 10_000, what: 'the second dead letter' }).catch(() => [])
  const all = [...letters, ...more]
  assert.equal(all.length, 2)
  for (const l of all) assert.equal(l.retryCount, MAX_ATTEMPTS - 1, 'dead-lettered after exactly the attempt limit')
  assert.ok(all.some((l) => l.reason.startsWith('invalid')))
  assert.ok(all.some((l) => l.reason === 'room-not-found'))
  const metrics = await r.bus.takeDeadLetters(10)
  assert.equal(metrics.length, 0, 'nothing else dead-lettered')
})

test('a crash between the commit and the ack is absorbed: stored once, delivered again', { skip }, async (t) => {
  let crashes = 1
  const r = await rig({
    afterCommit: () => {
      if (crashes > 0) {
        crashes--
        throw new Error('injected crash after commit')
      }
    },
  })
  t.after(async () => { await r.close() })
  const { roomId, userId } = await roomWithMember(r.store)
  const queue = await r.bus.openEdgeQueue(uniqueName('e'), (d) => r.deliveries.push(d))
  t.after(async () => { await queue.close() })
  await queue.bind({ kind: 'room', roomId })
  for (let i = 0; i < 5; i++) await r.bus.publishInbound(message(roomId, userId, `c${i}`, `crash-${i}`))
  await waitFor(() => crashes === 0 && r.deliveries.filter((d) => d.kind === 'room').length >= 5 + 1, { timeoutMs: 10_000, what: 'redelivery after the crash' })
  await waitFor(async () => (await r.store.messages.lastSeq(roomId)) === 5)
  const page = await r.store.messages.page(roomId, { limit: 10 })
  assert.deepEqual(page.messages.map((m) => m.clientMsgId), ['crash-0', 'crash-1', 'crash-2', 'crash-3', 'crash-4'])
  // Delivered at least once each, some twice; an edge drops the repeats by seq.
  const delivered = new Set(r.deliveries.filter((d) => d.kind === 'room').map((d) => (d as { seq: number }).seq))
  assert.deepEqual([...delivered].sort(), [1, 2, 3, 4, 5])
})

test('the database unreachable: nothing acked before commit, nothing dead-lettered, order kept after it returns', { skip }, async (t) => {
  const dbUrl = new URL(databaseUrl)
  const proxy = await TcpProxy.start(dbUrl.hostname, Number(dbUrl.port === '' ? 5432 : dbUrl.port))
  t.after(async () => { await proxy.close() })
  const r = await rig({ databaseUrl: proxy.rewrite(databaseUrl) })
  t.after(async () => { await r.close() })
  const { roomId, userId } = await roomWithMember(r.store)
  await r.bus.publishInbound(message(roomId, userId, 'before'))
  await waitFor(async () => (await r.store.messages.lastSeq(roomId)) === 1)
  proxy.cut()
  const during = Array.from({ length: 200 }, (_, i) => `during-${i}`)
  for (const c of during) await r.bus.publishInbound(message(roomId, userId, c, c))
  await waitFor(() => r.dispatcher.isPaused, { timeoutMs: 10_000, what: 'the dispatcher pausing' })
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  await proxy.restore()
  await waitFor(async () => (await r.store.messages.lastSeq(roomId)) === 201, { timeoutMs: 30_000, what: 'catch-up' })
  const page = await r.store.messages.page(roomId, { after: 1, limit: 100 })
  const rest = await r.store.messages.page(roomId, { after: 101, limit: 100 })
  assert.deepEqual([...page.messages, ...rest.messages].map((m) => m.content), during)
  assert.equal((await r.bus.takeDeadLetters(10)).length, 0)
})
