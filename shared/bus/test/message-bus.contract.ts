import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { waitFor } from '@chat/testing'
import { newId } from '@chat/schemas'
import { Header, shardOf, shardQueueName } from '@chat/topology'
import type { TopologyOptions } from '@chat/topology'
import { ACK, BusClosedError, BusErrorCode, BusRejectedError, REQUEUE } from '../src/index.js'
import type { DeadLetter, EdgeDelivery, InboundDelivery, MessageBus, Outcome } from '../src/index.js'
import { TEST_TOPOLOGY, contentOf, holdsFor, message, roomOnShard } from './helpers.js'

/** An isolated broker (a fresh vhost, or a fresh in-process broker) for one test. */
export interface BusFixture {
  /** A bus on this fixture's broker with `TEST_TOPOLOGY` unless told; closed after the test. */
  make (options?: { topology?: TopologyOptions }): Promise<MessageBus>
  /** Deletes a queue behind the buses' backs. */
  deleteQueue (name: string): Promise<void>
}

export type FixtureFactory = (t: TestContext) => Promise<BusFixture>

const SHARDS = TEST_TOPOLOGY.shards

async function takeDeadLettersUntil (bus: MessageBus, n: number): Promise<DeadLetter[]> {
  const all: DeadLetter[] = []
  await waitFor(async () => {
    all.push(...await bus.takeDeadLetters(10))
    return all.length >= n
  }, { timeoutMs: 10_000, what: `${n} dead letter(s)` })
  return all
}

/** The MessageBus contract (message-bus.ts), run against every adapter. */
export async function messageBusContract (name: string, fixture: FixtureFactory): Promise<void> {
  await test(`MessageBus contract (${name})`, async (suite) => {
    await suite.test('delivers a published message to the consumer of its room\'s shard, retryCount 0', async (t) => {
      const bus = await (await fixture(t)).make()
      const received: InboundDelivery[] = []
      const consumer = await bus.consumeInbound(async (d) => { received.push(d); return ACK })
      t.after(() => consumer.close())
      const sent = Array.from({ length: SHARDS }, (_, k) => message(roomOnShard(k, SHARDS), `to-${k}`))
      for (const m of sent) await bus.publishInbound(m)
      await waitFor(() => received.length === SHARDS, { what: 'one delivery per shard' })
      for (const m of sent) {
        const d = received.find((r) => contentOf(r.body) === m.content)
        assert.ok(d, `${m.content} delivered`)
        assert.equal(d.shard, shardOf(m.roomId, SHARDS))
        assert.equal(d.retryCount, 0)
        assert.equal(d.redelivered, false)
        assert.deepEqual(JSON.parse(Buffer.from(d.body).toString('utf8')), m)
      }
    })

    await suite.test('keeps the order of 1,000 messages of one room', async (t) => {
      const bus = await (await fixture(t)).make()
      const room = newId()
      const received: string[] = []
      const consumer = await bus.consumeInbound(async (d) => { received.push(contentOf(d.body)); return ACK })
      t.after(() => consumer.close())
      const expected = Array.from({ length: 1000 }, (_, i) => String(i))
      await Promise.all(expected.map((c) => bus.publishInbound(message(room, c))))
      await waitFor(() => received.length >= 1000, { timeoutMs: 20_000, what: '1,000 deliveries' })
      assert.deepEqual(received, expected)
    })

    await suite.test('never has more than prefetch deliveries of a shard outstanding', async (t) => {
      const bus = await (await fixture(t)).make()
      const room = newId()
      for (let i = 0; i < 20; i++) await bus.publishInbound(message(room, String(i)))
      const waiting: Array<(o: Outcome) => void> = []
      let outstanding = 0
      let most = 0
      const consumer = await bus.consumeInbound(() => {
        outstanding++
        most = Math.max(most, outstanding)
        return new Promise<Outcome>((resolve) => waiting.push((o) => { outstanding--; resolve(o) }))
      }, { prefetch: 5 })
      t.after(() => consumer.close())
      await waitFor(() => waiting.length === 5, { what: '5 deliveries' })
      await holdsFor(() => waiting.length === 5, 200, 'no sixth delivery while 5 are outstanding')
      for (let done = 0; done < 20; done++) {
        if (waiting.length === 0) await waitFor(() => waiting.length > 0, { what: 'the next delivery' })
        waiting.shift()?.(ACK)
      }
      assert.equal(most, 5)
    })

    await suite.test('hands requeued deliveries out again in their original order, before later ones, across pause/resume', async (t) => {
      const bus = await (await fixture(t)).make()
      const room = newId()
      for (let i = 0; i < 20; i++) await bus.publishInbound(message(room, String(i)))
      let phase: 'hold' | 'record' = 'hold'
      const held: Array<{ d: InboundDelivery, decide: (o: Outcome) => void }> = []
      const recorded: Array<{ content: string, redelivered: boolean }> = []
      const consumer = await bus.consumeInbound((d) => {
        if (phase === 'hold') return new Promise<Outcome>((resolve) => held.push({ d, decide: resolve }))
        recorded.push({ content: contentOf(d.body), redelivered: d.redelivered })
        return Promise.resolve(ACK)
      }, { prefetch: 10 })
      t.after(() => consumer.close())
      // 1. The first 10 are handed out and held.
      await waitFor(() => held.length === 10, { what: '10 held deliveries' })
      assert.deepEqual(held.map((h) => contentOf(h.d.body)), Array.from({ length: 10 }, (_, i) => String(i)))
      // 2. Pause, then requeue them in reverse order: the order they come back in must not depend on it.
      await consumer.pause()
      phase = 'record'
      for (const h of [...held].reverse()) h.decide(REQUEUE)
      await holdsFor(() => recorded.length === 0, 200, 'nothing handed out while paused')
      // 3. Resume: the requeued ones first, in their original order, then the rest.
      await consumer.resume()
      await waitFor(() => recorded.length === 20, { what: '20 deliveries after resume' })
      assert.deepEqual(recorded, [
        ...Array.from({ length: 10 }, (_, i) => ({ content: String(i), redelivered: true })),
        ...Array.from({ length: 10 }, (_, i) => ({ content: String(i + 10), redelivered: false })),
      ])
    })

    await suite.test('keeps its shards while paused, and hands them over in order on close', async (t) => {
      const fx = await fixture(t)
      const [a, b] = [await fx.make(), await fx.make()]
      const room = newId()
      for (let i = 0; i < 20; i++) await a.publishInbound(message(room, String(i)))
      const held: Array<(o: Outcome) => void> = []
      let aPhase: 'hold' | 'requeue' = 'hold'
      const onA: string[] = []
      const consumerA = await a.consumeInbound((d) => {
        onA.push(contentOf(d.body))
        return aPhase === 'hold' ? new Promise<Outcome>((resolve) => held.push(resolve)) : Promise.resolve(REQUEUE)
      }, { prefetch: 10 })
      await waitFor(() => held.length === 10, { what: '10 deliveries on A' })
      // 1. B stands by: with a single active consumer per shard, it gets nothing while A consumes.
      const onB: Array<{ content: string, redelivered: boolean }> = []
      const consumerB = await b.consumeInbound(async (d) => {
        onB.push({ content: contentOf(d.body), redelivered: d.redelivered })
        return ACK
      })
      t.after(() => consumerB.close())
      // 2. A requeues what it holds and pauses (a database outage): B still gets nothing.
      await consumerA.pause()
      aPhase = 'requeue'
      for (const decide of held) decide(REQUEUE)
      await holdsFor(() => onB.length === 0, 300, 'B idle while A is paused')
      // 3. A shuts down: B takes over, the requeued ones first, in order.
      await consumerA.close()
      await waitFor(() => onB.length === 20, { what: '20 deliveries on B' })
      assert.deepEqual(onB.map((d) => d.content), Array.from({ length: 20 }, (_, i) => String(i)))
      assert.ok(onB.slice(0, 10).every((d) => d.redelivered))
      assert.deepEqual(onA, Array.from({ length: 10 }, (_, i) => String(i)))
    })

    await suite.test('delivers nothing while paused, and everything in order after resume', async (t) => {
      const bus = await (await fixture(t)).make()
      const room = newId()
      const received: string[] = []
      const consumer = await bus.consumeInbound(async (d) => { received.push(contentOf(d.body)); return ACK })
      t.after(() => consumer.close())
      await consumer.pause()
      await consumer.pause() // idempotent
      for (let i = 0; i < 5; i++) await bus.publishInbound(message(room, String(i)))
      await holdsFor(() => received.length === 0, 300, 'no delivery while paused')
      await consumer.resume()
      await consumer.resume() // idempotent
      await waitFor(() => received.length === 5, { what: '5 deliveries' })
      assert.deepEqual(received, ['0', '1', '2', '3', '4'])
    })

    await suite.test('retries through the delay queues with x-retry-count + 1, then dead-letters after maxAttempts', async (t) => {
      const bus = await (await fixture(t)).make()
      const m = message(roomOnShard(2, SHARDS), 'fails')
      const calls: Array<{ at: number, retryCount: number, redelivered: boolean }> = []
      const consumer = await bus.consumeInbound(async (d) => {
        calls.push({ at: Date.now(), retryCount: d.retryCount, redelivered: d.redelivered })
        return { outcome: 'retry', reason: 'not today' }
      }, { maxAttempts: 3 })
      t.after(() => consumer.close())
      await bus.publishInbound(m)
      const [dead, ...more] = await takeDeadLettersUntil(bus, 1)
      assert.equal(more.length, 0)
      assert.ok(dead)
      assert.equal(dead.reason, 'not today')
      assert.equal(dead.retryCount, 2)
      assert.equal(dead.headers[Header.ORIGIN_SHARD], 2)
      assert.deepEqual(JSON.parse(Buffer.from(dead.body).toString('utf8')), m)
      // Exactly maxAttempts calls, each a new copy with the next count, each after its delay (no hot loop).
      assert.deepEqual(calls.map((c) => [c.retryCount, c.redelivered]), [[0, false], [1, false], [2, false]])
      const [c0, c1, c2] = calls as [typeof calls[0], typeof calls[0], typeof calls[0]]
      assert.ok(c1.at - c0.at >= 90, `first retry waited ${c1.at - c0.at} ms, expected ~100`)
      assert.ok(c2.at - c1.at >= 190, `second retry waited ${c2.at - c1.at} ms, expected ~200`)
      await holdsFor(() => calls.length === 3, 300, 'no attempt after the dead letter')
      assert.deepEqual(await bus.takeDeadLetters(10), [])
    })

    await suite.test('dead-letters at once on a dead-letter outcome', async (t) => {
      const bus = await (await fixture(t)).make()
      const m = message(roomOnShard(1, SHARDS), 'poison')
      let calls = 0
      const consumer = await bus.consumeInbound(async () => {
        calls++
        return { outcome: 'dead-letter', reason: 'undecodable' }
      })
      t.after(() => consumer.close())
      await bus.publishInbound(m)
      const [dead] = await takeDeadLettersUntil(bus, 1)
      assert.ok(dead)
      assert.equal(dead.reason, 'undecodable')
      assert.equal(dead.retryCount, 0)
      assert.equal(dead.headers[Header.ORIGIN_SHARD], 1)
      assert.equal(contentOf(dead.body), 'poison')
      assert.equal(calls, 1)
    })

    await suite.test('counts a rejected handler as a retry, with the error message as reason', async (t) => {
      const bus = await (await fixture(t)).make()
      const room = newId()
      const seen: Array<[string, number]> = []
      const consumer = await bus.consumeInbound(async (d) => {
        const content = contentOf(d.body)
        seen.push([content, d.retryCount])
        if (content === 'always' || d.retryCount === 0) throw new Error(`boom ${content}`)
        return ACK
      }, { maxAttempts: 2 })
      t.after(() => consumer.close())
      await bus.publishInbound(message(room, 'once'))
      await bus.publishInbound(message(room, 'always'))
      const [dead] = await takeDeadLettersUntil(bus, 1)
      assert.ok(dead)
      assert.equal(dead.reason, 'boom always')
      assert.equal(dead.retryCount, 1)
      await waitFor(() => seen.length === 4, { what: 'four attempts' })
      assert.deepEqual(seen.filter(([c]) => c === 'once'), [['once', 0], ['once', 1]])
      assert.deepEqual(seen.filter(([c]) => c === 'always'), [['always', 0], ['always', 1]])
    })

    await suite.test('rejects a second consumeInbound while one is open', async (t) => {
      const bus = await (await fixture(t)).make()
      const first = await bus.consumeInbound(async () => ACK)
      await assert.rejects(bus.consumeInbound(async () => ACK), (err: unknown) =>
        err instanceof BusRejectedError && err.code === BusErrorCode.ALREADY_CONSUMING)
      await first.close()
      const second = await bus.consumeInbound(async () => ACK)
      await second.close()
    })

    await suite.test('routes stored messages to the edge queues bound to their room, and only those', async (t) => {
      const bus = await (await fixture(t)).make()
      const got: EdgeDelivery[] = []
      const edge = await bus.openEdgeQueue(`test-${randomUUID()}`, (d) => got.push(d))
      t.after(() => edge.close())
      const [a, b, probe] = [newId(), newId(), newId()]
      const stored = (roomId: string, seq: number): { roomId: string, seq: number, id: string, body: string } =>
        ({ roomId, seq, id: newId(), body: JSON.stringify({ roomId, seq, content: 'héllo' }) })
      await edge.bind({ kind: 'room', roomId: a })
      await edge.bind({ kind: 'room', roomId: a }) // idempotent
      await edge.bind({ kind: 'room', roomId: probe })
      const a1 = stored(a, 1)
      const a2 = stored(a, 2)
      const p1 = stored(probe, 1)
      await bus.publishDeliveries([a1, stored(b, 1), a2, p1])
      // The probe was published last: once it is here, anything of room b would have been too.
      await waitFor(() => got.some((d) => d.kind === 'room' && d.roomId === probe), { what: 'the probe' })
      assert.deepEqual(got, [a1, a2, p1].map((s) => ({ kind: 'room', roomId: s.roomId, seq: s.seq, id: s.id, body: Buffer.from(s.body) })))
      got.length = 0
      await edge.unbind({ kind: 'room', roomId: a })
      await edge.unbind({ kind: 'room', roomId: a }) // absent: not an error
      const p2 = stored(probe, 2)
      await bus.publishDeliveries([stored(a, 3), p2])
      await waitFor(() => got.length > 0, { what: 'the probe' })
      assert.deepEqual(got.map((d) => d.kind === 'room' ? [d.roomId, d.seq] : []), [[probe, 2]])
      await bus.publishDeliveries([])
    })

    await suite.test('delivers a large batch over several rooms as single deliveries, each once and in order per room', async (t) => {
      const bus = await (await fixture(t)).make()
      const got: EdgeDelivery[] = []
      const edge = await bus.openEdgeQueue(`test-${randomUUID()}`, (d) => got.push(d))
      t.after(() => edge.close())
      const rooms = [newId(), newId(), newId()]
      for (const roomId of rooms) await edge.bind({ kind: 'room', roomId })
      // More messages and bytes than one pack holds, bodies of every size, multi-byte text.
      const batch = Array.from({ length: 1_500 }, (_, i) => {
        const roomId = rooms[i % 3] as string
        const seq = Math.floor(i / 3) + 1
        return { roomId, seq, id: newId(), body: JSON.stringify({ roomId, seq, content: 'ü€𝄞'.repeat(i % 50) + 'x'.repeat((i * 37) % 7_000) }) }
      })
      await bus.publishDeliveries(batch)
      await waitFor(() => got.length === batch.length, { what: 'every delivery', timeoutMs: 10_000 })
      for (const roomId of rooms) {
        const expected = batch.filter((d) => d.roomId === roomId).map((d) => ({ kind: 'room', roomId, seq: d.seq, id: d.id, body: Buffer.from(d.body) }))
        assert.deepEqual(got.filter((d) => d.kind === 'room' && d.roomId === roomId), expected)
      }
    })

    await suite.test('routes events of each kind to the edges bound to them; all-members gets every room\'s, once', async (t) => {
      const bus = await (await fixture(t)).make()
      const got: EdgeDelivery[] = []
      const edge = await bus.openEdgeQueue(`test-${randomUUID()}`, (d) => got.push(d))
      t.after(() => edge.close())
      const [a, b, c, user, other] = [newId(), newId(), newId(), newId(), newId()]
      await edge.bind({ kind: 'presence', roomId: a })
      await edge.bind({ kind: 'typing', roomId: a })
      await edge.bind({ kind: 'members', roomId: a })
      await edge.bind({ kind: 'user', userId: user })
      await edge.bind({ kind: 'all-members' })
      await bus.publishEvent({ kind: 'presence', roomId: b, body: '{"not":"bound"}' })
      await bus.publishEvent({ kind: 'presence', roomId: a, body: '{"joined":"x"}' })
      await bus.publishEvent({ kind: 'typing', roomId: b, body: '{}' })
      await bus.publishEvent({ kind: 'typing', roomId: a, body: '{"typing":"x"}' })
      await bus.publishEvent({ kind: 'user', userId: other, body: '{}' })
      await bus.publishEvent({ kind: 'user', userId: user, body: '{"unread":3}' })
      await bus.publishEvent({ kind: 'members', roomId: a, body: '{"m":"a"}' })
      await bus.publishEvent({ kind: 'members', roomId: c, body: '{"m":"c"}' })
      await waitFor(() => got.length >= 5, { what: 'five events' })
      await holdsFor(() => got.length === 5, 150, 'no sixth event')
      assert.deepEqual(got, [
        { kind: 'presence', roomId: a, body: Buffer.from('{"joined":"x"}') },
        { kind: 'typing', roomId: a, body: Buffer.from('{"typing":"x"}') },
        { kind: 'user', userId: user, body: Buffer.from('{"unread":3}') },
        // Bound both as members.{a} and members.*: still delivered once.
        { kind: 'members', roomId: a, body: Buffer.from('{"m":"a"}') },
        { kind: 'members', roomId: c, body: Buffer.from('{"m":"c"}') },
      ])
    })

    await suite.test('rejects a mandatory publish no queue takes with BusRejectedError UNROUTABLE', async (t) => {
      const fx = await fixture(t)
      const bus = await fx.make()
      await fx.deleteQueue(shardQueueName(3))
      await assert.rejects(bus.publishInbound(message(roomOnShard(3, SHARDS), 'lost')), (err: unknown) =>
        err instanceof BusRejectedError && err.code === BusErrorCode.UNROUTABLE)
      await bus.publishInbound(message(roomOnShard(0, SHARDS), 'fine'))
    })

    await suite.test('settles every pending publish on close, and rejects every later call with BusClosedError', async (t) => {
      const bus = await (await fixture(t)).make()
      const room = newId()
      assert.equal(bus.isConnected(), true)
      const pending = Array.from({ length: 200 }, (_, i) => bus.publishInbound(message(room, String(i))).then(() => undefined, (err: unknown) => err))
      await bus.close()
      for (const err of await Promise.all(pending)) {
        if (err !== undefined) assert.ok(err instanceof BusClosedError, String(err))
      }
      assert.equal(bus.isConnected(), false)
      const isClosed = (err: unknown): boolean => err instanceof BusClosedError && err.code === BusErrorCode.CLOSED
      await assert.rejects(bus.publishInbound(message(room, 'late')), isClosed)
      await assert.rejects(bus.publishDeliveries([{ roomId: room, seq: 1, id: newId(), body: '{}' }]), isClosed)
      await assert.rejects(bus.publishEvent({ kind: 'typing', roomId: room, body: '{}' }), isClosed)
      await assert.rejects(bus.consumeInbound(async () => ACK), isClosed)
      await assert.rejects(bus.openEdgeQueue('late', () => {}), isClosed)
      await assert.rejects(bus.takeDeadLetters(1), isClosed)
      await bus.close() // idempotent
    })
  })
}
