// What the topology and RabbitMessageBus rely on from the broker, checked on the real one
// (docs/rabbitmq.md, "Verified here"): the shared suite (broker-semantics.contract.ts, also run against the
// in-process emulator), then what only RabbitMQ does and the bus works around. Raw amqplib, no bus: when
// the broker is upgraded, these say which assumption changed. 3.x-only assertions are skipped on 4.x.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import amqplib from 'amqplib'
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib'
import { freshVhost, serverUrl, waitFor } from '@chat/testing'
import { brokerSemanticsContract } from './broker-semantics.contract.js'
import type { TestBroker, TestChannel, TestDelivery } from './broker-semantics.contract.js'

const url = await serverUrl('RABBITMQ_URL')

const REFUSALS: Record<number, string> = { 403: 'ACCESS_REFUSED', 404: 'NOT_FOUND', 405: 'RESOURCE_LOCKED', 406: 'PRECONDITION_FAILED' }

interface AmqpDelivery extends TestDelivery {
  readonly message: ConsumeMessage
}

/**
 * The contract's broker on a fresh vhost. Each TestChannel is a connection of its own, so exclusive queues
 * belong to it as the emulator's belong to their channel; declarations that fail close only a throwaway channel.
 */
async function amqpBroker (t: TestContext, baseUrl: string): Promise<TestBroker> {
  const vhost = await freshVhost(baseUrl, 'semantics')
  const connections: ChannelModel[] = []
  const open = async (): Promise<ChannelModel> => {
    const conn = await amqplib.connect(vhost.url)
    conn.on('error', () => {})
    connections.push(conn)
    return conn
  }
  t.after(async () => {
    for (const c of connections) await c.close().catch(() => {})
    await vhost.drop()
  })
  const admin = await open()
  const once = async <T>(f: (ch: Channel) => Promise<T>): Promise<T> => {
    const ch = await admin.createChannel()
    ch.on('error', () => {})
    try {
      return await f(ch)
    } finally {
      await ch.close().catch(() => {})
    }
  }
  let pub: ConfirmChannel | undefined
  const returned = new Set<string>()
  let next = 0
  return {
    async declareExchange (name, type) { await once((ch) => ch.assertExchange(name, type, { durable: true })) },
    async declareQueue (name, o = {}) { await once((ch) => ch.assertQueue(name, { ...o, arguments: { ...o.arguments } })) },
    async bind (queue, exchange, key) { await once((ch) => ch.bindQueue(queue, exchange, key)) },
    async publish (exchange, key, body, headers = {}) {
      if (pub === undefined) {
        pub = await admin.createConfirmChannel()
        pub.on('return', (m: ConsumeMessage) => returned.add(String(m.properties.messageId)))
      }
      const id = String(next++)
      const p = pub
      const acked = await new Promise<boolean>((resolve) => p.publish(exchange, key, Buffer.from(body), { mandatory: true, persistent: true, messageId: id, headers },
        (err: unknown) => resolve(err === null || err === undefined)))
      // A return comes before the ack of the same message.
      if (returned.delete(id)) return 'unroutable'
      return acked ? 'routed' : 'rejected'
    },
    async messageCount (queue) { return (await once((ch) => ch.checkQueue(queue))).messageCount },
    async hasQueue (queue) { return await once((ch) => ch.checkQueue(queue)).then(() => true, () => false) },
    async get (queue) {
      const m = await once((ch) => ch.get(queue, { noAck: true }))
      return m === false ? undefined : m.content.toString()
    },
    async channel () {
      const conn = await open()
      const ch = await conn.createChannel()
      ch.on('error', () => {})
      const c: TestChannel = {
        async declareQueue (name, o = {}) { await ch.assertQueue(name, { ...o, arguments: { ...o.arguments } }) },
        async consume (queue, onMessage, o = {}) {
          if (o.prefetch !== undefined) await ch.prefetch(o.prefetch)
          const { consumerTag } = await ch.consume(queue, (m) => {
            if (m === null) return
            const d: AmqpDelivery = {
              body: m.content.toString(),
              redelivered: m.fields.redelivered,
              exchange: m.fields.exchange,
              routingKey: m.fields.routingKey,
              headers: m.properties.headers ?? {},
              message: m,
            }
            onMessage(d)
          }, { noAck: o.noAck === true })
          return consumerTag
        },
        ack (d) { ch.ack((d as AmqpDelivery).message) },
        nack (d, requeue) { ch.nack((d as AmqpDelivery).message, false, requeue) },
        async cancel (tag) { await ch.cancel(tag) },
        async close () { await conn.close() },
      }
      return c
    },
  }
}

const QUORUM = { 'x-queue-type': 'quorum' }

async function connect (t: TestContext, baseUrl: string): Promise<{ conn: ChannelModel, ch: Channel, is3x: boolean }> {
  const vhost = await freshVhost(baseUrl, 'semantics')
  const conn = await amqplib.connect(vhost.url)
  conn.on('error', () => {})
  t.after(async () => {
    await conn.close().catch(() => {})
    await vhost.drop()
  })
  const ch = await conn.createChannel()
  const version = String(conn.connection.serverProperties.version ?? '')
  return { conn, ch, is3x: version.startsWith('3.') }
}

/** Publishes 1..n, takes the first `prefetch` on a fresh channel, and returns them with that channel. */
async function takeFirst (conn: ChannelModel, queue: string, prefetch: number): Promise<{ c: Channel, held: ConsumeMessage[], tag: string, after: string[] }> {
  const c = await conn.createChannel()
  await c.prefetch(prefetch)
  const held: ConsumeMessage[] = []
  const after: string[] = []
  let holding = true
  const { consumerTag } = await c.consume(queue, (m) => {
    if (m === null) return
    if (holding && held.length < prefetch) held.push(m)
    else {
      after.push(`${m.content.toString()}${m.fields.redelivered ? 'r' : ''}`)
      c.ack(m)
    }
  })
  await waitFor(() => held.length === prefetch, { what: `${prefetch} deliveries` })
  holding = false
  return { c, held, tag: consumerTag, after }
}

async function publishNumbers (ch: Channel, queue: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) ch.sendToQueue(queue, Buffer.from(String(i)), { persistent: true })
  await waitFor(async () => (await ch.checkQueue(queue)).messageCount === n, { what: `${n} messages in ${queue}` })
}

const inOrder = (from: number, to: number, suffix = ''): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}${suffix}`)

if (url === undefined) {
  await test.skip('broker semantics (rabbitmq): RABBITMQ_URL does not answer')
} else {
  await brokerSemanticsContract('rabbitmq', (t) => amqpBroker(t, url), (err) => REFUSALS[(err as { code?: number }).code ?? 0])

  await test('RabbitMQ only: what the bus works around or relies on beyond the emulator', async (suite) => {
    await suite.test('3.x quorum queue without a delivery limit: nack(requeue) puts messages at the BACK', async (t) => {
      const { conn, ch, is3x } = await connect(t, url)
      if (!is3x) return t.skip('4.x has a default delivery limit: returns go to the head')
      await ch.assertQueue('q', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(ch, 'q', 20)
      const { c, held, after } = await takeFirst(conn, 'q', 10)
      for (const m of held) c.nack(m, false, true)
      await waitFor(() => after.length === 20, { what: '20 deliveries' })
      // Why RabbitMessageBus never nacks a REQUEUE outcome: 11..20 overtake the requeued 1..10.
      assert.deepEqual(after, [...inOrder(11, 20), ...inOrder(1, 10, 'r')])
    })

    await suite.test('with a delivery limit: nack(requeue) returns to the head; channel closes count towards the limit', async (t) => {
      const { conn, ch } = await connect(t, url)
      await ch.assertExchange('dlx', 'fanout')
      await ch.assertQueue('dlq', { durable: true, arguments: QUORUM })
      await ch.bindQueue('dlq', 'dlx', '')
      await ch.assertQueue('q', { durable: true, arguments: { ...QUORUM, 'x-delivery-limit': 3, 'x-dead-letter-exchange': 'dlx' } })
      await publishNumbers(ch, 'q', 20)
      const { c, held, after } = await takeFirst(conn, 'q', 10)
      for (const m of held) c.nack(m, false, true)
      await waitFor(() => after.length === 20, { what: '20 deliveries' })
      assert.deepEqual(after, [...inOrder(1, 10, 'r'), ...inOrder(11, 20)])
      await c.close()
      // A consumer that dies holding the message, over and over: the broker gives up on it.
      ch.sendToQueue('q', Buffer.from('crash'), { persistent: true })
      let deliveries = 0
      for (let i = 0; i < 10; i++) {
        const d = await conn.createChannel()
        let got = false
        await d.consume('q', () => { got = true })
        const arrived = await waitFor(() => got, { timeoutMs: 500, what: 'a delivery' }).catch(() => false)
        await d.close()
        if (arrived === false) break
        deliveries++
      }
      const dead = await ch.get('dlq')
      assert.ok(dead !== false, 'dead-lettered')
      assert.equal(dead.properties.headers?.['x-first-death-reason'], 'delivery_limit')
      assert.ok(deliveries >= 3 && deliveries <= 5, `${deliveries} deliveries before the limit`)
    })

    await suite.test('3.x: x-delivery-limit unset is unlimited; x-delivery-limit -1 dead-letters at the first return', async (t) => {
      const { conn, ch, is3x } = await connect(t, url)
      if (!is3x) return t.skip('4.x: unset means 20, -1 means unlimited')
      await ch.assertExchange('dlx', 'fanout')
      await ch.assertQueue('dlq', { durable: true, arguments: QUORUM })
      await ch.bindQueue('dlq', 'dlx', '')
      for (const [queue, args] of [['unset', {}], ['minus1', { 'x-delivery-limit': -1 }]] as const) {
        await ch.assertQueue(queue, { durable: true, arguments: { ...QUORUM, 'x-dead-letter-exchange': 'dlx', ...args } })
        ch.sendToQueue(queue, Buffer.from(queue), { persistent: true })
      }
      const c = await conn.createChannel()
      let requeues = 0
      await c.consume('unset', (m) => {
        if (m === null) return
        if (requeues < 30) { requeues++; c.nack(m, false, true) } else c.ack(m)
      })
      await waitFor(() => requeues === 30, { what: '30 requeues' })
      let minus1 = 0
      await c.consume('minus1', (m) => { if (m !== null) { minus1++; c.nack(m, false, true) } })
      const dead = await waitFor(async () => (await ch.get('dlq')) || undefined, { what: 'a dead letter' })
      assert.equal(dead.content.toString(), 'minus1')
      assert.equal(minus1, 1)
      assert.equal((await ch.checkQueue('dlq')).messageCount, 0)
    })

    await suite.test('an unroutable mandatory publish is returned before it is acked', async (t) => {
      const { conn, ch } = await connect(t, url)
      await ch.assertExchange('in', 'direct')
      const pub = await conn.createConfirmChannel()
      const events: string[] = []
      pub.on('return', (m: ConsumeMessage) => events.push(`return ${String(m.properties.messageId)}`))
      await new Promise<void>((resolve) => pub.publish('in', 'nowhere', Buffer.from('x'), { mandatory: true, messageId: 'm1' }, (err: unknown) => {
        events.push(err === null || err === undefined ? 'ack' : 'nack')
        resolve()
      }))
      assert.deepEqual(events, ['return m1', 'ack'])
    })

    await suite.test('basic.get is refused on a quorum queue with single active consumer (chat.dlq has none)', async (t) => {
      const { conn, ch } = await connect(t, url)
      await ch.assertQueue('sac', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      const c = await conn.createChannel()
      c.on('error', () => {})
      await assert.rejects(c.get('sac'), /405|RESOURCE.LOCKED/)
    })
  })
}
