// The broker behaviour the bus relies on (docs/rabbitmq.md, "Verified here"), one suite run against the
// in-process emulator (broker-semantics.emulator.test.ts) and RabbitMQ (broker-semantics.rabbitmq.test.ts),
// so the emulator cannot drift from what it stands in for. Cases only one side has live beside them.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@chat/testing'
import { holdsFor } from './helpers.js'

export interface TestDelivery {
  readonly body: string
  readonly redelivered: boolean
  readonly exchange: string
  readonly routingKey: string
  readonly headers: Readonly<Record<string, unknown>>
}

/** A channel: it owns the exclusive queues it declares, and closing it returns its unacknowledged deliveries. */
export interface TestChannel {
  declareQueue (name: string, options?: QueueOptions): Promise<void>
  consume (queue: string, onMessage: (d: TestDelivery) => void, options?: { prefetch?: number, noAck?: boolean }): Promise<string>
  ack (d: TestDelivery): void
  nack (d: TestDelivery, requeue: boolean): void
  cancel (tag: string): Promise<void>
  close (): Promise<void>
}

export interface QueueOptions {
  readonly durable?: boolean
  readonly exclusive?: boolean
  readonly autoDelete?: boolean
  readonly arguments?: Readonly<Record<string, string | number | boolean>>
}

/** One broker for one test, closed (and its vhost dropped) after it. */
export interface TestBroker {
  declareExchange (name: string, type: 'direct' | 'topic' | 'fanout'): Promise<void>
  declareQueue (name: string, options?: QueueOptions): Promise<void>
  bind (queue: string, exchange: string, routingKey: string): Promise<void>
  /** Persistent, mandatory, confirmed: routed, unroutable (returned), or rejected (nacked). */
  publish (exchange: string, routingKey: string, body: string, headers?: Record<string, unknown>): Promise<'routed' | 'unroutable' | 'rejected'>
  messageCount (queue: string): Promise<number>
  hasQueue (queue: string): Promise<boolean>
  /** Takes the head of a queue (no-ack). */
  get (queue: string): Promise<string | undefined>
  channel (): Promise<TestChannel>
}

/** The error code of a refused declaration, as AMQP names it (`PRECONDITION_FAILED`, `RESOURCE_LOCKED`…). */
export type RefusalCode = (err: unknown) => string | undefined

const QUORUM = { 'x-queue-type': 'quorum' } as const
const inOrder = (from: number, to: number, suffix = ''): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}${suffix}`)
const tagged = (d: TestDelivery): string => `${d.body}${d.redelivered ? 'r' : ''}`

async function publishNumbers (b: TestBroker, queue: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) assert.equal(await b.publish('', queue, String(i)), 'routed')
}

/** Consumes `prefetch` deliveries on a new channel and holds them; later ones are acked and recorded in `after`. */
async function takeFirst (b: TestBroker, queue: string, prefetch: number): Promise<{ c: TestChannel, held: TestDelivery[], tag: string, after: string[] }> {
  const c = await b.channel()
  const held: TestDelivery[] = []
  const after: string[] = []
  let holding = true
  const tag = await c.consume(queue, (d) => {
    if (holding && held.length < prefetch) held.push(d)
    else {
      after.push(tagged(d))
      c.ack(d)
    }
  }, { prefetch })
  await waitFor(() => held.length === prefetch, { what: `${prefetch} deliveries` })
  holding = false
  return { c, held, tag, after }
}

export async function brokerSemanticsContract (name: string, make: (t: TestContext) => Promise<TestBroker>, refusal: RefusalCode): Promise<void> {
  await test(`broker semantics (${name})`, async (suite) => {
    await suite.test('routes direct, topic and fanout; a queue bound twice gets one copy; unroutable is reported', async (t) => {
      const b = await make(t)
      await b.declareExchange('d', 'direct')
      await b.declareExchange('t', 'topic')
      await b.declareExchange('f', 'fanout')
      for (const q of ['q1', 'q2']) await b.declareQueue(q)
      await b.bind('q1', 'd', 'k')
      await b.bind('q1', 't', 'room.*')
      await b.bind('q1', 't', 'room.a')
      await b.bind('q1', 'f', '')
      await b.bind('q2', 'f', '')
      assert.equal(await b.publish('d', 'k', 'd'), 'routed')
      assert.equal(await b.publish('d', 'other', 'x'), 'unroutable')
      assert.equal(await b.publish('t', 'room.a', 't'), 'routed')
      assert.equal(await b.publish('t', 'room.a.b', 'x'), 'unroutable', '* is one word')
      assert.equal(await b.publish('f', 'anything', 'f'), 'routed')
      assert.equal(await b.publish('', 'q2', 'default'), 'routed')
      await waitFor(async () => await b.messageCount('q1') === 3, { what: '3 messages in q1' })
      assert.equal(await b.messageCount('q2'), 2)
    })

    await suite.test('delivers in order within the prefetch bound', async (t) => {
      const b = await make(t)
      await b.declareQueue('q')
      const ch = await b.channel()
      const got: TestDelivery[] = []
      await ch.consume('q', (d) => got.push(d), { prefetch: 3 })
      await publishNumbers(b, 'q', 5)
      await waitFor(() => got.length === 3, { what: '3 deliveries' })
      await holdsFor(() => got.length === 3, 100, 'no fourth delivery')
      ch.ack(got[0] as TestDelivery)
      await waitFor(() => got.length === 4, { what: 'a fourth delivery' })
      assert.deepEqual(got.map((d) => d.body), ['1', '2', '3', '4'])
    })

    await suite.test('nack(requeue) on a classic queue puts messages back at their original position, redelivered', async (t) => {
      const b = await make(t)
      await b.declareQueue('q')
      await publishNumbers(b, 'q', 6)
      const { c, held, tag } = await takeFirst(b, 'q', 3)
      await c.cancel(tag)
      for (const d of [...held].reverse()) c.nack(d, true)
      const again: string[] = []
      const c2 = await b.channel()
      await c2.consume('q', (d) => { again.push(tagged(d)); c2.ack(d) })
      await waitFor(() => again.length === 6, { what: '6 deliveries' })
      assert.deepEqual(again, ['1r', '2r', '3r', '4', '5', '6'])
    })

    await suite.test('closing the channel returns unacknowledged messages to the HEAD in order; its exclusive queues die with it', async (t) => {
      const b = await make(t)
      await b.declareQueue('q', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(b, 'q', 20)
      const first = await takeFirst(b, 'q', 10)
      await first.c.declareQueue('mine', { durable: false, exclusive: true, autoDelete: false })
      const other = await b.channel()
      await assert.rejects(other.declareQueue('mine', { durable: false, exclusive: true, autoDelete: false }), (err: unknown) => refusal(err) === 'RESOURCE_LOCKED')
      await first.c.close()
      await waitFor(async () => !(await b.hasQueue('mine')), { what: 'the exclusive queue gone' })
      const second = await takeFirst(b, 'q', 1)
      second.c.ack(second.held[0] as TestDelivery)
      await waitFor(() => second.after.length === 19, { what: '19 more deliveries' })
      assert.equal((second.held[0] as TestDelivery).body, '1')
      assert.deepEqual(second.after, [...inOrder(2, 10, 'r'), ...inOrder(11, 20)])
    })

    await suite.test('single active consumer: a cancel hands the queue over at once, a channel close returns what it held first', async (t) => {
      const b = await make(t)
      const standby = async (queue: string): Promise<string[]> => {
        const c = await b.channel()
        const got: string[] = []
        await c.consume(queue, (d) => { got.push(tagged(d)); c.ack(d) })
        return got
      }
      // Cancel: the standby starts on 6..10 while 1..5 are still held; why pause() keeps the consumer.
      await b.declareQueue('cancelled', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(b, 'cancelled', 10)
      const a = await takeFirst(b, 'cancelled', 5)
      const gotAfterCancel = await standby('cancelled')
      await a.c.cancel(a.tag)
      await waitFor(() => gotAfterCancel.length === 5, { what: 'the standby\'s deliveries' })
      assert.deepEqual(gotAfterCancel, inOrder(6, 10))
      await a.c.close()
      await waitFor(() => gotAfterCancel.length === 10, { what: 'the returned ones' })
      // Close: the held ones come back first, in order; how close() hands a shard over.
      await b.declareQueue('closed', { durable: true, arguments: { ...QUORUM, 'x-single-active-consumer': true } })
      await publishNumbers(b, 'closed', 10)
      const a2 = await takeFirst(b, 'closed', 5)
      const gotAfterClose = await standby('closed')
      await a2.c.close()
      await waitFor(() => gotAfterClose.length === 10, { what: '10 deliveries' })
      assert.deepEqual(gotAfterClose, [...inOrder(1, 5, 'r'), ...inOrder(6, 10)])
    })

    await suite.test('a quorum delay queue dead-letters expired messages back with their routing key and headers', async (t) => {
      const b = await make(t)
      await b.declareExchange('in', 'direct')
      await b.declareQueue('target', { durable: true, arguments: QUORUM })
      await b.bind('target', 'in', 'shard.3')
      await b.declareExchange('delay', 'fanout')
      await b.declareQueue('delay', {
        durable: true,
        arguments: { ...QUORUM, 'x-message-ttl': 200, 'x-dead-letter-exchange': 'in', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
      })
      await b.bind('delay', 'delay', '')
      const c = await b.channel()
      const got: Array<{ at: number, d: TestDelivery }> = []
      await c.consume('target', (d) => { got.push({ at: Date.now(), d }) }, { noAck: true })
      const sent = Date.now()
      assert.equal(await b.publish('delay', 'shard.3', 'later', { 'x-retry-count': 1 }), 'routed')
      await waitFor(() => got.length === 1, { what: 'the expired message' })
      const { at, d } = got[0] as { at: number, d: TestDelivery }
      assert.ok(at - sent >= 190, `came back after ${at - sent} ms`)
      assert.equal(d.exchange, 'in')
      assert.equal(d.routingKey, 'shard.3')
      assert.equal(d.headers['x-retry-count'], 1)
      assert.equal(d.headers['x-first-death-reason'], 'expired')
    })

    await suite.test('max-length: drop-head drops the oldest, reject-publish refuses the publish', async (t) => {
      const b = await make(t)
      await b.declareQueue('drop', { arguments: { 'x-max-length': 2, 'x-overflow': 'drop-head' } })
      await b.declareQueue('reject', { arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } })
      await publishNumbers(b, 'drop', 3)
      assert.equal(await b.get('drop'), '2')
      await publishNumbers(b, 'reject', 2)
      assert.equal(await b.publish('', 'reject', '3'), 'rejected')
      assert.equal(await b.messageCount('reject'), 2)
    })

    await suite.test('auto-delete queues die with their last consumer; declarations must be equivalent', async (t) => {
      const b = await make(t)
      const ch = await b.channel()
      await b.declareQueue('auto', { autoDelete: true })
      const tag = await ch.consume('auto', () => {})
      await ch.cancel(tag)
      await waitFor(async () => !(await b.hasQueue('auto')), { what: 'the auto-delete queue gone' })

      await b.declareQueue('q', { arguments: { 'x-message-ttl': 10 } })
      await b.declareQueue('q', { arguments: { 'x-message-ttl': 10 } })
      await assert.rejects(b.declareQueue('q', { arguments: { 'x-message-ttl': 20 } }), (err: unknown) => refusal(err) === 'PRECONDITION_FAILED')
      await b.declareExchange('e', 'topic')
      await assert.rejects(b.declareExchange('e', 'direct'), (err: unknown) => refusal(err) === 'PRECONDITION_FAILED')
    })
  })
}
