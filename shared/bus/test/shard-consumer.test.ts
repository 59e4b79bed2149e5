import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@chat/testing'
import { ACK, REQUEUE } from '../src/index.js'
import type { InboundDelivery, Outcome } from '../src/index.js'
import { silentBusLogger } from '../src/bus-logger.js'
import { ShardConsumer } from '../src/shard-consumer.js'
import { holdsFor } from './helpers.js'
import type { CopyPublisher, ShardDelivery } from '../src/shard-consumer.js'

interface Fake extends ShardDelivery { acked: number, live: boolean }

function fake (content: string): Fake {
  const d: Fake = {
    body: Buffer.from(content),
    messageId: content,
    contentType: 'text/plain',
    headers: {},
    redelivered: false,
    acked: 0,
    live: true,
    ack () { d.acked++ },
    isLive () { return d.live },
  }
  return d
}

const noCopies: CopyPublisher = { publishCopy: async () => { throw new Error('no copies in this test') } }

function consumer (handler: (d: InboundDelivery) => Promise<Outcome>, publisher: CopyPublisher = noCopies): ShardConsumer {
  return new ShardConsumer({ shard: 0, handler, publisher, log: silentBusLogger, policy: { maxAttempts: 3, retryDelaysMs: [10] }, republishBackoffMs: 5 })
}

await test('ShardConsumer', async (suite) => {
  await suite.test('a new delivery queues behind a requeued one that waits for an earlier outcome', async (t) => {
    const calls: string[] = []
    const decide = new Map<string, (o: Outcome) => void>()
    const c = consumer((d) => {
      const s = `${d.body.toString()}${d.redelivered ? 'r' : ''}`
      calls.push(s)
      return new Promise((resolve) => decide.set(s, resolve))
    })
    t.after(() => c.close())
    const [a, b, late] = [fake('a'), fake('b'), fake('late')]
    c.receive(a)
    c.receive(b)
    decide.get('b')?.(REQUEUE) // b waits for a
    await waitFor(() => c.outstanding === 2)
    c.receive(late) // must not overtake b
    decide.get('a')?.(REQUEUE)
    await waitFor(() => calls.length === 5, { what: 'a, b again, then late' })
    assert.deepEqual(calls, ['a', 'b', 'ar', 'br', 'late'])
    for (const s of ['ar', 'br', 'late']) decide.get(s)?.(ACK)
    await waitFor(() => c.outstanding === 0)
    assert.deepEqual([a.acked, b.acked, late.acked], [1, 1, 1])
  })

  await suite.test('a handler that requeues without pausing does not starve the event loop', async (t) => {
    let calls = 0
    const c = consumer(async () => { calls++; return REQUEUE })
    t.after(() => c.close())
    c.receive(fake('x'))
    // A timer fires while it loops: replays yield to the event loop (a microtask loop would hang here).
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.ok(calls > 1)
    c.pause()
    const frozen = calls
    await holdsFor(() => calls <= frozen + 1, 30, 'no replay while paused')
  })

  await suite.test('a failed copy is published again later, and the original acked only after its confirm', async (t) => {
    let attempts = 0
    const publisher: CopyPublisher = {
      publishCopy: async () => {
        attempts++
        if (attempts < 3) throw new Error('broker away')
      },
    }
    const c = consumer(async () => ({ outcome: 'retry', reason: 'later' }), publisher)
    t.after(() => c.close())
    const d = fake('x')
    c.receive(d)
    await waitFor(() => d.acked === 1, { what: 'the ack after the third attempt' })
    assert.equal(attempts, 3)
    assert.equal(c.outstanding, 0)
  })

  await suite.test('deliveries of a dead channel are forgotten, never acked', async (t) => {
    let decide: ((o: Outcome) => void) | undefined
    const c = consumer(() => new Promise((resolve) => { decide = resolve }))
    t.after(() => c.close())
    const d = fake('x')
    c.receive(d)
    d.live = false
    c.discardDead()
    assert.equal(c.outstanding, 0)
    decide?.(ACK)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(d.acked, 0)
  })
})
