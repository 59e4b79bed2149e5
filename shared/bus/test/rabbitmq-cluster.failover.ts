// The RabbitMQ adapter on a real three-node cluster (npm run test:cluster -w @chat/bus; not part of npm test: the
// nodes take tens of seconds to start). The bus gets the list of nodes, the node it is on is killed, and:
// publish confirms resume, the edge queue and its bindings come back on another node, a resync is announced, and
// no confirmed message is lost. Prints how long publishing was without confirms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '@chat/observability'
import { newId } from '@chat/schemas'
import { shardQueueName } from '@chat/topology'
import { startRabbitCluster, uniqueName, waitFor } from '@chat/testing'
import type { RabbitCluster, RabbitNode } from '@chat/testing'
import { ACK } from '../src/index.js'
import type { EdgeDelivery } from '../src/index.js'
import { RabbitMessageBus } from '../src/message-bus.rabbitmq.js'
import { contentOf, message } from './helpers.js'

const log = createLogger(process.env.BUS_TEST_LOG ?? 'silent', 'cluster-test')

/** The node holding the AMQP connection named `connectionName`. */
async function nodeOf (cluster: RabbitCluster, connectionName: string): Promise<RabbitNode | undefined> {
  for (const node of cluster.nodes) {
    const out = await cluster.ctl(node, 'rabbitmqctl', 'list_connections', 'client_properties').catch(() => '')
    if (out.includes(connectionName)) return node
  }
  return undefined
}

const cluster = await startRabbitCluster(3)
if (cluster === undefined) {
  await test.skip('RabbitMQ cluster failover: rabbitmq-server is not installed')
} else {
  await test('a bus given the cluster\'s nodes survives the loss of the node it is on', async (t) => {
    const connectionName = uniqueName('cluster')
    const bus = await RabbitMessageBus.connect({
      url: cluster.nodes.map((n) => n.url),
      log,
      topology: { shards: 2, retryDelaysMs: [500], quorumSize: 3 },
      connectionName,
      reconnectDelayMs: 250,
      heartbeatSeconds: 2,
      connectTimeoutMs: 30_000,
    })
    t.after(async () => {
      await bus.close()
      await cluster.stop()
    })

    // 1. The shard queues are replicated on all three nodes.
    const [anyNode] = cluster.nodes as [RabbitNode]
    const status = JSON.parse(await cluster.ctl(anyNode, 'rabbitmq-queues', 'quorum_status', shardQueueName(0), '--formatter', 'json')) as unknown[]
    assert.equal(status.length, 3, 'three members')

    // 2. An edge queue with a binding receives deliveries.
    const roomId = newId()
    const got: EdgeDelivery[] = []
    let resyncs = 0
    const edge = await bus.openEdgeQueue(uniqueName('edge'), (d) => got.push(d))
    edge.onResync(() => { resyncs++ })
    await edge.bind({ kind: 'room', roomId })
    await bus.publishDeliveries([{ roomId, seq: 1, id: newId(), body: '{"n":1}' }])
    await waitFor(() => got.length === 1, { what: 'the first delivery' })
    await bus.publishInbound(message(roomId, 'before'))

    // 3. The node the bus is on dies.
    const on = await waitFor(async () => await nodeOf(cluster, connectionName), { timeoutMs: 10_000, what: 'the bus\'s node' })
    cluster.kill(on)
    const killedAt = Date.now()

    // 4. Publishing is confirmed again once the bus is on another node and the shard has a leader.
    let attempts = 0
    await waitFor(async () => {
      attempts++
      return await bus.publishInbound(message(roomId, 'after')).then(() => true, () => false)
    }, { timeoutMs: 60_000, what: 'a confirmed publish after the loss' })
    const withoutConfirmsMs = Date.now() - killedAt
    const now = await nodeOf(cluster, connectionName)
    assert.ok(now !== undefined && now.name !== on.name, 'reconnected to another node')

    // 5. The edge queue is back with its binding, and the edge was told to refill from the database.
    await waitFor(() => resyncs >= 1, { timeoutMs: 30_000, what: 'the resync' })
    await bus.publishDeliveries([{ roomId, seq: 2, id: newId(), body: '{"n":2}' }])
    await waitFor(() => got.some((d) => d.kind === 'room' && d.seq === 2), { timeoutMs: 10_000, what: 'a delivery through the re-created queue' })

    // 6. Nothing confirmed was lost: both messages are in their shard.
    const seen: string[] = []
    const consumer = await bus.consumeInbound(async (d) => { seen.push(contentOf(d.body)); return ACK })
    t.after(() => consumer.close())
    await waitFor(() => seen.includes('before') && seen.includes('after'), { timeoutMs: 30_000, what: 'both messages' })
    process.stdout.write(`# node lost: publishes confirmed again after ${withoutConfirmsMs} ms (${attempts} attempts); edge queue re-created with its binding; resyncs ${resyncs}\n`)
  })
}
