import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@chat/testing'
import { BrokerError, InProcessBroker, topicMatches } from '../src/in-process-broker.js'
import type { BrokerDelivery } from '../src/in-process-broker.js'
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

  // What RabbitMQ does too is in broker-semantics.contract.ts; here what only the emulator promises.
  await suite.test('delivers asynchronously, never inside the publisher\'s call stack; a missing exchange is NOT_FOUND', async (t) => {
    const b = broker(t)
    b.declareQueue('q')
    const ch = b.createChannel()
    const got: BrokerDelivery[] = []
    ch.consume('q', (d) => got.push(d), { prefetch: 3 })
    publishAll(b, '', 'q', 5)
    assert.equal(got.length, 0, 'nothing inside the publisher\'s call stack')
    await waitFor(() => got.length === 3, { what: '3 deliveries' })
    assert.deepEqual(got.map(text), ['1', '2', '3'])
    assert.throws(() => b.publish('missing', 'k', body('x')), (err: unknown) => err instanceof BrokerError && err.code === 'NOT_FOUND')
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

  await suite.test('close stops everything; later calls throw CLOSED', async () => {
    const b = new InProcessBroker()
    b.declareQueue('delay', { arguments: { 'x-message-ttl': 10_000 } })
    b.publish('', 'delay', body('x'))
    b.close()
    b.close()
    assert.throws(() => b.publish('', 'delay', body('y')), (err: unknown) => err instanceof BrokerError && err.code === 'CLOSED')
  })
})
