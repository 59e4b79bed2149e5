import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import amqplib from 'amqplib'
import { createLogger } from '@chat/observability'
import { freshVhost, serverUrl, waitFor } from '@chat/testing'
import { newId } from '@chat/schemas'
import { shardOf, shardQueueName } from '@chat/topology'
import { ACK, BusClosedError, BusErrorCode, BusRejectedError, BusUnavailableError } from '../src/index.js'
import type { EdgeDelivery, MessageBus } from '../src/index.js'
import { RabbitMessageBus } from '../src/message-bus.rabbitmq.js'
import type { RabbitMessageBusOptions } from '../src/message-bus.rabbitmq.js'
import { messageBusContract } from './message-bus.contract.js'
import { TEST_TOPOLOGY, contentOf, holdsFor, message, roomOnShard } from './helpers.js'
import { closedPort, deleteQueue, killConnection, management } from './rabbitmq-admin.js'
import { exitAfterClose } from './exit-probe.js'

// BUS_TEST_LOG=debug shows the adapter's logs.
const log = createLogger(process.env.BUS_TEST_LOG ?? 'silent', 'bus-test')
const url = await serverUrl('RABBITMQ_URL')

/** A fresh vhost for one test, dropped after it with every bus made on it. */
async function vhostFor (t: TestContext, baseUrl: string): Promise<{ url: string, make: (o?: Partial<RabbitMessageBusOptions>) => Promise<RabbitMessageBus> }> {
  const vhost = await freshVhost(baseUrl, 'bus')
  const buses: MessageBus[] = []
  t.after(async () => {
    for (const b of buses) await b.close()
    await vhost.drop()
  })
  return {
    url: vhost.url,
    async make (o = {}) {
      const bus = await RabbitMessageBus.connect({ url: vhost.url, log, topology: TEST_TOPOLOGY, reconnectDelayMs: 200, ...o })
      buses.push(bus)
      return bus
    },
  }
}

if (url === undefined) {
  await test.skip('MessageBus (rabbitmq): RABBITMQ_URL does not answer')
} else {
  await messageBusContract('rabbitmq', async (t) => {
    const v = await vhostFor(t, url)
    return {
      make: (options = {}) => v.make(options.topology === undefined ? {} : { topology: options.topology }),
      deleteQueue: (name) => deleteQueue(v.url, name),
    }
  })

  await test('RabbitMessageBus', async (suite) => {
    await suite.test('matches each of 5,000 concurrent publishes to its own confirm or return', async (t) => {
      const v = await vhostFor(t, url)
      const bus = await v.make()
      // Shard 3's queue is gone: its publishes come back as returns, interleaved with the others' acks.
      await deleteQueue(v.url, shardQueueName(3))
      const sent = Array.from({ length: 5000 }, (_, i) => message(newId(), String(i)))
      let settled = 0
      const outcomes = await Promise.all(sent.map((m) => bus.publishInbound(m).then(
        () => { settled++; return 'ok' },
        (err: unknown) => { settled++; return err instanceof BusRejectedError ? err.code : String(err) },
      )))
      assert.equal(settled, 5000)
      for (const [i, m] of sent.entries()) {
        const expected = shardOf(m.roomId, TEST_TOPOLOGY.shards) === 3 ? BusErrorCode.UNROUTABLE : 'ok'
        assert.equal(outcomes[i], expected, `publish ${i} (shard ${shardOf(m.roomId, TEST_TOPOLOGY.shards)})`)
      }
      // Every confirmed one is in its queue, exactly once.
      const confirmed = new Set(sent.filter((_, i) => outcomes[i] === 'ok').map((m) => m.id))
      const seen = new Map<string, number>()
      const consumer = await bus.consumeInbound(async (d) => {
        const id = (JSON.parse(Buffer.from(d.body).toString('utf8')) as { id: string }).id
        seen.set(id, (seen.get(id) ?? 0) + 1)
        return ACK
      })
      t.after(() => consumer.close())
      await waitFor(() => seen.size === confirmed.size, { timeoutMs: 30_000, what: 'every confirmed message' })
      for (const id of confirmed) assert.equal(seen.get(id), 1)
    })

    await suite.test('packs the publishes of one turn per shard; a retried member leaves alone, the rest are handled once', async (t) => {
      const v = await vhostFor(t, url)
      const bus = await v.make()
      const room = roomOnShard(1, TEST_TOPOLOGY.shards)
      // One turn of the event loop: one pack on the broker.
      await Promise.all(Array.from({ length: 50 }, (_, i) => bus.publishInbound(message(room, String(i)))))
      const conn = await amqplib.connect(v.url)
      const probe = await conn.createChannel()
      const { messageCount } = await probe.checkQueue(shardQueueName(1))
      await conn.close()
      assert.equal(messageCount, 1, 'fifty messages, one AMQP message')
      const calls: Array<[string, number]> = []
      const consumer = await bus.consumeInbound(async (d) => {
        calls.push([contentOf(d.body), d.retryCount])
        return contentOf(d.body) === '7' && d.retryCount === 0 ? { outcome: 'retry', reason: 'once' } : ACK
      }, { maxAttempts: 3 })
      t.after(() => consumer.close())
      await waitFor(() => calls.length === 51, { what: 'fifty calls and the retry' })
      const first = calls.slice(0, 50).map(([c]) => c)
      assert.deepEqual(first, Array.from({ length: 50 }, (_, i) => String(i)), 'in order')
      assert.deepEqual(calls[50], ['7', 1], 'the retried one comes back alone')
      // The pack was acked once every member settled: nothing is handed out again.
      await holdsFor(() => calls.length === 51, 500, 'no redelivery')
    })

    await suite.test('an inbound pack that does not split reaches the handler whole (and so is retried, then dead-lettered)', async (t) => {
      const v = await vhostFor(t, url)
      const bus = await v.make()
      const conn = await amqplib.connect(v.url)
      const ch = await conn.createConfirmChannel()
      ch.publish('chat.inbound', 'shard.0', Buffer.from([0, 0, 0, 9, 1, 2]), { contentType: 'application/vnd.stomp-chat.inbound', persistent: true })
      await ch.waitForConfirms()
      await conn.close()
      const bodies: number[] = []
      const consumer = await bus.consumeInbound(async (d) => { bodies.push(d.body.length); return { outcome: 'retry', reason: 'undecodable' } }, { maxAttempts: 2 })
      t.after(() => consumer.close())
      const letters = await waitFor(async () => { const l = await bus.takeDeadLetters(5); return l.length > 0 ? l : undefined }, { what: 'the dead letter' })
      assert.equal(letters.length, 1)
      assert.deepEqual(bodies, [6, 6])
    })

    await suite.test('with the broker unreachable: rejects at once past the buffer, and by the deadline', async (t) => {
      const port = await closedPort()
      const deadUrl = `amqp://guest:guest@127.0.0.1:${port}`
      const started = Date.now()
      await assert.rejects(RabbitMessageBus.connect({ url: deadUrl, log, connectTimeoutMs: 300, reconnectDelayMs: 100 }), (err: unknown) =>
        err instanceof BusUnavailableError && err.code === BusErrorCode.UNAVAILABLE)
      assert.ok(Date.now() - started < 2_000, `connect gave up after ${Date.now() - started} ms`)

      const bus = await RabbitMessageBus.connect({
        url: deadUrl, log, connectTimeoutMs: 0, publishTimeoutMs: 300, publishBufferSize: 10, reconnectDelayMs: 100,
      })
      t.after(() => bus.close())
      assert.equal(bus.isConnected(), false)
      const room = newId()
      const t0 = Date.now()
      const waiting = Array.from({ length: 10 }, (_, i) => bus.publishInbound(message(room, String(i))).then(() => undefined, (err: unknown) => err))
      // 1. The eleventh is refused at once.
      await assert.rejects(bus.publishInbound(message(room, 'eleventh')), (err: unknown) =>
        err instanceof BusUnavailableError && err.code === BusErrorCode.BUFFER_FULL)
      assert.ok(Date.now() - t0 < 100)
      // 2. The ten reject by their deadline, and not before it.
      const results = await Promise.all(waiting)
      const elapsed = Date.now() - t0
      for (const err of results) assert.ok(err instanceof BusUnavailableError && err.code === BusErrorCode.TIMEOUT, String(err))
      assert.ok(elapsed >= 290 && elapsed < 1_500, `rejected after ${elapsed} ms`)
      // 3. Their places are free again; close rejects what still waits.
      const late = bus.publishInbound(message(room, 'late')).then(() => undefined, (err: unknown) => err)
      await bus.close()
      assert.ok(await late instanceof BusClosedError)
    })

    await suite.test('survives its connection being force-closed while publishing and consuming', async (t) => {
      const v = await vhostFor(t, url)
      const connectionName = `bus-test-${randomUUID()}`
      const bus = await v.make({ connectionName, publishTimeoutMs: 5_000 })
      const consumed = new Map<string, number>()
      const consumer = await bus.consumeInbound(async (d) => {
        const id = (JSON.parse(Buffer.from(d.body).toString('utf8')) as { id: string }).id
        consumed.set(id, (consumed.get(id) ?? 0) + 1)
        return ACK
      }, { prefetch: 20 })
      t.after(() => consumer.close())
      const room = roomOnShard(1, TEST_TOPOLOGY.shards)
      const edgeGot: EdgeDelivery[] = []
      let resyncs = 0
      const edge = await bus.openEdgeQueue(`test-${randomUUID()}`, (d) => edgeGot.push(d))
      edge.onResync(() => { resyncs++ })
      await edge.bind({ kind: 'room', roomId: room })

      // 1. Publish in batches; after the third batch, the broker drops the connection.
      const sent = new Map<string, PromiseSettledResult<void>>()
      let killed = false
      for (let batch = 0; batch < 15; batch++) {
        const messages = Array.from({ length: 20 }, (_, i) => message(newId(), `${batch}-${i}`))
        const results = messages.map((m) => bus.publishInbound(m))
        if (batch === 3) killed = await waitFor(() => killConnection(v.url, connectionName), { what: 'the connection in the management API' })
        const settled = await Promise.allSettled(results)
        settled.forEach((r, i) => sent.set((messages[i] as { id: string }).id, r))
      }
      assert.ok(killed)
      // 2. Every publish settled: resolved, or rejected as unavailable (in flight when the connection dropped).
      const confirmed = [...sent].filter(([, r]) => r.status === 'fulfilled').map(([id]) => id)
      for (const [, r] of sent) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof BusUnavailableError, String(r.reason))
      }
      assert.ok(confirmed.length >= 200, `${confirmed.length} of 300 confirmed`)
      // 3. Consumption resumed and no confirmed message is lost (redelivered ones may come twice).
      await waitFor(() => confirmed.every((id) => consumed.has(id)), { timeoutMs: 20_000, what: 'every confirmed message consumed' })
      // 4. The edge queue was re-created with its binding, then onResync ran once.
      await waitFor(() => resyncs === 1, { what: 'onResync' })
      const id = newId()
      await bus.publishDeliveries([{ roomId: room, seq: 7, id, body: '{}' }])
      await waitFor(() => edgeGot.some((d) => d.kind === 'room' && d.id === id), { what: 'a delivery through the restored binding' })
      assert.equal(bus.isConnected(), true)
    })

    await suite.test('a consumer paused before a reconnect stays paused after it', async (t) => {
      const v = await vhostFor(t, url)
      const connectionName = `bus-test-${randomUUID()}`
      const bus = await v.make({ connectionName })
      const received: string[] = []
      const consumer = await bus.consumeInbound(async (d) => { received.push(contentOf(d.body)); return ACK })
      t.after(() => consumer.close())
      await consumer.pause()
      await waitFor(() => killConnection(v.url, connectionName), { what: 'the connection in the management API' })
      const room = newId()
      // Published once the bus is back (a publish caught by the dying connection is tried again, as a
      // client would): confirmed, so in the queue.
      for (let i = 0; i < 5; i++) {
        const m = message(room, String(i))
        await waitFor(() => bus.publishInbound(m).then(() => true, (err: unknown) => {
          if (err instanceof BusUnavailableError) return false
          throw err
        }), { what: `publish ${i}` })
      }
      await holdsFor(() => received.length === 0, 300, 'no delivery while paused')
      await consumer.resume()
      await waitFor(() => received.length === 5, { what: '5 deliveries after resume' })
      assert.deepEqual(received, ['0', '1', '2', '3', '4'])
    })

    await suite.test('rejects a publish the broker nacks with BusRejectedError NACKED', async (t) => {
      const v = await vhostFor(t, url)
      const bus = await v.make()
      // An operator caps shard 0; its queue overflows with reject-publish, so the broker nacks.
      const vhostName = decodeURIComponent(new URL(v.url).pathname.slice(1))
      await management(v.url, 'PUT', `/api/policies/${encodeURIComponent(vhostName)}/cap`, {
        pattern: '^chat\\.room\\.shard\\.0$', definition: { 'max-length': 1 }, 'apply-to': 'queues',
      })
      const room = roomOnShard(0, TEST_TOPOLOGY.shards)
      let i = 0
      const nack = await waitFor(async () => {
        const err = await bus.publishInbound(message(room, String(i++))).then(() => undefined, (e: unknown) => e)
        if (err === undefined) return false
        if (err instanceof BusRejectedError && err.code === BusErrorCode.NACKED) return err
        throw err
      }, { what: 'a nack' })
      assert.ok(nack instanceof BusRejectedError)
    })

    await suite.test('refuses bad credentials and a missing virtual host with BusRejectedError ACCESS_REFUSED', async () => {
      const refused = (err: unknown): boolean => err instanceof BusRejectedError && err.code === BusErrorCode.ACCESS_REFUSED
      const bad = new URL(url)
      bad.password = 'wrong-password'
      await assert.rejects(RabbitMessageBus.connect({ url: bad.toString(), log, connectTimeoutMs: 3_000 }), refused)
      const noVhost = new URL(url)
      noVhost.pathname = `/no-such-vhost-${randomUUID()}`
      await assert.rejects(RabbitMessageBus.connect({ url: noVhost.toString(), log, connectTimeoutMs: 3_000 }), refused)
    })

    await suite.test('nothing keeps the process alive after close(), a pending retry included (needs a build)', async (t) => {
      const v = await vhostFor(t, url)
      const ms = await exitAfterClose(`
        const { RabbitMessageBus } = await import('@chat/bus/rabbitmq')
        const { createLogger } = await import('@chat/observability')
        return RabbitMessageBus.connect({ url: ${JSON.stringify(v.url)}, log: createLogger('silent', 'probe'), topology: { shards: 1, retryDelaysMs: [60_000] } })`)
      assert.ok(ms < 2_000, `exited ${ms} ms after close`)
    })

    await suite.test('refuses a topology that does not match the declared one', async (t) => {
      const v = await vhostFor(t, url)
      // Someone declared shard 0 as a classic queue: ordering and dead-lettering would silently break.
      const conn = await amqplib.connect(v.url)
      const ch = await conn.createChannel()
      await ch.assertQueue(shardQueueName(0), { durable: true, arguments: { 'x-queue-type': 'classic' } })
      await conn.close()
      await assert.rejects(v.make({ connectTimeoutMs: 3_000 }), (err: unknown) =>
        err instanceof BusRejectedError && err.code === BusErrorCode.TOPOLOGY_MISMATCH)
    })
  })
}
