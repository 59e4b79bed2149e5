// What the topology and RabbitMessageBus rely on from the broker, checked on the real one
// (docs/rabbitmq.md, "Verified here"). Raw amqplib, no bus: when the broker is upgraded, these say
// which assumption changed. Assertions that hold only on RabbitMQ 3.x are skipped on 4.x.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import amqplib from 'amqplib'
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib'
import { freshVhost, serverUrl, waitFor } from '@chat/testing'

const url = await serverUrl('RABBITMQ_URL')

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
  await test.skip('RabbitMQ semantics: RABBITMQ_URL does not answer')
} else {
  await test('RabbitMQ semantics the bus relies on', async (suite) => {
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

    await suite.test('closing the channel returns unacknowledged messages to the HEAD, in order', async (t) => {
      const { conn, ch } = await connect(t, url)
      await ch.assertQueue('q', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(ch, 'q', 20)
      const first = await takeFirst(conn, 'q', 10)
      await first.c.close()
      const second = await takeFirst(conn, 'q', 1)
      second.c.ack(second.held[0] as ConsumeMessage)
      await waitFor(() => second.after.length === 19, { what: '19 more deliveries' })
      assert.equal(`${(second.held[0] as ConsumeMessage).content.toString()}`, '1')
      assert.deepEqual(second.after, [...inOrder(2, 10, 'r'), ...inOrder(11, 20)])
    })

    await suite.test('single active consumer: a cancel hands the queue over at once, a channel close returns what it held first', async (t) => {
      const { conn, ch } = await connect(t, url)
      const standby = async (queue: string): Promise<string[]> => {
        const b = await conn.createChannel()
        const got: string[] = []
        await b.consume(queue, (m) => {
          if (m === null) return
          got.push(`${m.content.toString()}${m.fields.redelivered ? 'r' : ''}`)
          b.ack(m)
        })
        return got
      }
      // Cancel: the standby starts on 6..10 while 1..5 are still held; why pause() keeps the consumer.
      await ch.assertQueue('cancelled', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(ch, 'cancelled', 10)
      const a = await takeFirst(conn, 'cancelled', 5)
      const gotAfterCancel = await standby('cancelled')
      await a.c.cancel(a.tag)
      await waitFor(() => gotAfterCancel.length === 5, { what: 'the standby\'s deliveries' })
      assert.deepEqual(gotAfterCancel, inOrder(6, 10))
      await a.c.close()
      await waitFor(() => gotAfterCancel.length === 10, { what: 'the returned ones' })
      // Close: the held ones come back first, in order; how close() hands a shard over.
      await ch.assertQueue('closed', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(ch, 'closed', 10)
      const a2 = await takeFirst(conn, 'closed', 5)
      const gotAfterClose = await standby('closed')
      await a2.c.close()
      await waitFor(() => gotAfterClose.length === 10, { what: '10 deliveries' })
      assert.deepEqual(gotAfterClose, [...inOrder(1, 5, 'r'), ...inOrder(6, 10)])
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

    await suite.test('a quorum delay queue dead-letters expired messages back with their routing key', async (t) => {
      const { conn, ch } = await connect(t, url)
      await ch.assertExchange('in', 'direct')
      await ch.assertQueue('target', { durable: true, arguments: QUORUM })
      await ch.bindQueue('target', 'in', 'shard.3')
      await ch.assertExchange('delay', 'fanout')
      await ch.assertQueue('delay', {
        durable: true,
        arguments: { ...QUORUM, 'x-message-ttl': 200, 'x-dead-letter-exchange': 'in', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
      })
      await ch.bindQueue('delay', 'delay', '')
      const c = await conn.createChannel()
      const got: Array<{ at: number, m: ConsumeMessage }> = []
      await c.consume('target', (m) => { if (m !== null) got.push({ at: Date.now(), m }) }, { noAck: true })
      const pub = await conn.createConfirmChannel()
      const sent = Date.now()
      pub.publish('delay', 'shard.3', Buffer.from('later'), { persistent: true, headers: { 'x-retry-count': 1 } })
      await pub.waitForConfirms()
      await waitFor(() => got.length === 1, { what: 'the expired message' })
      const { at, m } = got[0] as { at: number, m: ConsumeMessage }
      assert.ok(at - sent >= 190, `came back after ${at - sent} ms`)
      assert.equal(m.fields.routingKey, 'shard.3')
      assert.equal(m.properties.headers?.['x-retry-count'], 1)
      assert.equal(m.properties.headers?.['x-first-death-reason'], 'expired')
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
