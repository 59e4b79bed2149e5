import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@chat/testing'
import { BrokerError, InProcessBroker } from '../src/index.js'
import type { BrokerDelivery } from '../src/index.js'
import { topicMatches } from '../src/in-process-broker.js'
import { holdsFor } from './helpers.js'

function broker (t: TestContext): InProcessBroker {
  const b = new InProcessBroker()
  t.after(() => b.close())
  return b
}

const text = (d: BrokerDelivery): string => d.body.toString()
const body = (s: string): Buffer => Buffer.from(s)

function publishAll (b: InProcessBroker, exchange: string, key: string, n: number): void {
  for (let i = 1; i <= n; i++) assert.equal(b.publish(exchange, key, body(String(i))), 'routed')
}

await test('InProcessBroker', async (suite) => {
  await suite.test('topic patterns: * is one word, # is zero or more', () => {
    const cases: Array<[string, string, boolean]> = [
      ['room.*', 'room.r1', true],
      ['room.*', 'room', false],
      ['room.*', 'room.r1.x', false],
      ['members.*', 'members.r1', true],
      ['#', 'a.b.c', true],
      ['#', '', true],
      ['a.#', 'a', true],
      ['a.#', 'a.b.c', true],
      ['#.c', 'a.b.c', true],
      ['a.#.c', 'a.c', true],
      ['a.#.c', 'a.b.b.c', true],
      ['a.#.c', 'a.b.d', false],
      ['*.*', 'a.b', true],
      ['room.r1', 'room.r2', false],
    ]
    for (const [pattern, key, expected] of cases) {
      const words = (s: string): string[] => s === '' ? [] : s.split('.')
      assert.equal(topicMatches(words(pattern), words(key)), expected, `${pattern} ~ ${key}`)
    }
  })

  await suite.test('routes direct, topic and fanout; a queue bound twice gets one copy; unroutable is reported', async (t) => {
    const b = broker(t)
    b.declareExchange('d', 'direct')
    b.declareExchange('t', 'topic')
    b.declareExchange('f', 'fanout')
    for (const q of ['q1', 'q2']) b.declareQueue(q)
    b.bind('q1', 'd', 'k')
    b.bind('q1', 't', 'room.*')
    b.bind('q1', 't', 'room.a')
    b.bind('q1', 'f', '')
    b.bind('q2', 'f', '')
    assert.equal(b.publish('d', 'k', body('d')), 'routed')
    assert.equal(b.publish('d', 'other', body('x')), 'unroutable')
    assert.equal(b.publish('t', 'room.a', body('t')), 'routed')
    assert.equal(b.publish('f', 'anything', body('f')), 'routed')
    assert.equal(b.publish('', 'q2', body('default')), 'routed')
    assert.equal(b.messageCount('q1'), 3)
    assert.equal(b.messageCount('q2'), 2)
    assert.throws(() => b.publish('missing', 'k', body('x')), (err: unknown) => err instanceof BrokerError && err.code === 'NOT_FOUND')
  })

  await suite.test('delivers asynchronously, in order, within the prefetch bound', async (t) => {
    const b = broker(t)
    b.declareQueue('q')
    const ch = b.createChannel()
    const got: BrokerDelivery[] = []
    ch.consume('q', (d) => got.push(d), { prefetch: 3 })
    publishAll(b, '', 'q', 5)
    assert.equal(got.length, 0, 'nothing inside the publisher\'s call stack')
    await waitFor(() => got.length === 3, { what: '3 deliveries' })
    await holdsFor(() => got.length === 3, 50, 'no fourth delivery')
    ch.ack((got[0] as BrokerDelivery).deliveryTag)
    await waitFor(() => got.length === 4, { what: 'a fourth delivery' })
    assert.deepEqual(got.map(text), ['1', '2', '3', '4'])
  })

  await suite.test('nack(requeue) puts messages back at their original position, redelivered', async (t) => {
    const b = broker(t)
    b.declareQueue('q')
    const ch = b.createChannel()
    const first: BrokerDelivery[] = []
    const tag = ch.consume('q', (d) => first.push(d), { prefetch: 3 })
    publishAll(b, '', 'q', 6)
    await waitFor(() => first.length === 3, { what: '3 deliveries' })
    ch.cancel(tag)
    for (const d of [...first].reverse()) ch.nack(d.deliveryTag, true)
    const again: string[] = []
    ch.consume('q', (d) => { again.push(`${text(d)}${d.redelivered ? 'r' : ''}`); ch.ack(d.deliveryTag) })
    await waitFor(() => again.length === 6, { what: '6 deliveries' })
    assert.deepEqual(again, ['1r', '2r', '3r', '4', '5', '6'])
  })

  await suite.test('closing a channel requeues its unacknowledged deliveries in order and deletes its exclusive queues', async (t) => {
    const b = broker(t)
    b.declareQueue('q')
    const ch = b.createChannel()
    const got: BrokerDelivery[] = []
    ch.consume('q', (d) => got.push(d), { prefetch: 2 })
    ch.declareQueue({ name: 'mine', durable: false, exclusive: true, autoDelete: false, arguments: {} })
    const other = b.createChannel()
    assert.throws(() => other.declareQueue({ name: 'mine', durable: false, exclusive: true, autoDelete: false, arguments: {} }),
      (err: unknown) => err instanceof BrokerError && err.code === 'RESOURCE_LOCKED')
    publishAll(b, '', 'q', 3)
    await waitFor(() => got.length === 2, { what: '2 deliveries' })
    ch.close()
    assert.equal(b.hasQueue('mine'), false)
    const again: string[] = []
    other.consume('q', (d) => { again.push(`${text(d)}${d.redelivered ? 'r' : ''}`); other.ack(d.deliveryTag) })
    await waitFor(() => again.length === 3, { what: '3 deliveries' })
    assert.deepEqual(again, ['1r', '2r', '3'])
    assert.throws(() => ch.ack(1), (err: unknown) => err instanceof BrokerError && err.code === 'CLOSED')
  })

  await suite.test('message TTL dead-letters to the DLX with the routing key kept, at least once', async (t) => {
    const b = broker(t)
    b.declareExchange('in', 'direct')
    b.declareExchange('delay', 'fanout')
    b.declareQueue('delay', {
      arguments: { 'x-message-ttl': 50, 'x-dead-letter-exchange': 'in', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
    })
    b.bind('delay', 'delay', '')
    const sent = Date.now()
    assert.equal(b.publish('delay', 'shard.2', body('later'), { headers: { 'x-retry-count': 1 } }), 'routed')
    // Nothing is bound to shard.2 yet: at-least-once keeps the message until it can go somewhere.
    await holdsFor(() => b.messageCount('delay') === 1, 120, 'the message stays while unroutable')
    b.declareQueue('target')
    b.bind('target', 'in', 'shard.2')
    const got: BrokerDelivery[] = []
    b.createChannel().consume('target', (d) => got.push(d), { noAck: true })
    await waitFor(() => got.length === 1, { timeoutMs: 3_000, what: 'the dead-lettered message' })
    const d = got[0] as BrokerDelivery
    assert.ok(Date.now() - sent >= 50)
    assert.equal(d.routingKey, 'shard.2')
    assert.equal(d.exchange, 'in')
    assert.equal(d.properties.headers?.['x-retry-count'], 1)
    assert.equal(d.properties.headers?.['x-first-death-reason'], 'expired')
    assert.equal(b.messageCount('delay'), 0)
  })

  await suite.test('max-length: drop-head drops the oldest, reject-publish refuses the publish', async (t) => {
    const b = broker(t)
    b.declareQueue('drop', { arguments: { 'x-max-length': 2, 'x-overflow': 'drop-head' } })
    b.declareQueue('reject', { arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } })
    publishAll(b, '', 'drop', 3)
    assert.equal(b.get('drop')?.body.toString(), '2')
    publishAll(b, '', 'reject', 2)
    assert.equal(b.publish('', 'reject', body('3')), 'rejected')
    assert.equal(b.messageCount('reject'), 2)
  })

  await suite.test('single active consumer, auto-delete, and declaration equivalence', async (t) => {
    const b = broker(t)
    b.declareQueue('sac', { arguments: { 'x-single-active-consumer': true } })
    const ch = b.createChannel()
    const got: string[] = []
    const first = ch.consume('sac', (d) => { got.push(`a${text(d)}`); ch.ack(d.deliveryTag) })
    ch.consume('sac', (d) => { got.push(`b${text(d)}`); ch.ack(d.deliveryTag) })
    publishAll(b, '', 'sac', 2)
    await waitFor(() => got.length === 2, { what: '2 deliveries' })
    ch.cancel(first)
    publishAll(b, '', 'sac', 1)
    await waitFor(() => got.length === 3, { what: 'a third delivery' })
    assert.deepEqual(got, ['a1', 'a2', 'b1'])

    b.declareQueue('auto', { autoDelete: true })
    const tag = ch.consume('auto', () => {})
    ch.cancel(tag)
    assert.equal(b.hasQueue('auto'), false)

    b.declareQueue('q', { arguments: { 'x-message-ttl': 10 } })
    b.declareQueue('q', { arguments: { 'x-message-ttl': 10 } })
    assert.throws(() => b.declareQueue('q', { arguments: { 'x-message-ttl': 20 } }),
      (err: unknown) => err instanceof BrokerError && err.code === 'PRECONDITION_FAILED')
    b.declareExchange('e', 'topic')
    assert.throws(() => b.declareExchange('e', 'direct'), (err: unknown) => err instanceof BrokerError && err.code === 'PRECONDITION_FAILED')
  })

  await suite.test('close stops everything; later calls throw CLOSED', async () => {
    const b = new InProcessBroker()
    b.declareQueue('delay', { arguments: { 'x-message-ttl': 10_000 } })
    b.publish('', 'delay', body('x'))
    b.close()
    b.close()
    assert.throws(() => b.publish('', 'delay', body('y')), (err: unknown) => err instanceof BrokerError && err.code === 'CLOSED')
  })
})
