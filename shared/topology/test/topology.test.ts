import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@chat/config'
import {
  DEAD_LETTER_QUEUE, DeliverKey, ExchangeName, QUORUM_SIZE_ARGUMENT, buildTopology, edgeQueueSpec, loadTopologyOptions, queueWithoutPlacement,
  retryQueueName, shardOf, shardQueueName, shardRoutingKey, withoutPlacement,
} from '../src/index.js'

test('a room always maps to the same shard, spread over all of them', () => {
  const counts = new Array<number>(16).fill(0)
  for (let i = 0; i < 16_000; i++) {
    const room = `01a21800-0000-7000-8000-${i.toString(16).padStart(12, '0')}`
    const k = shardOf(room, 16)
    assert.equal(shardOf(room, 16), k)
    counts[k] = (counts[k] ?? 0) + 1
  }
  for (const c of counts) assert.ok(c > 700 && c < 1_300, `shard load ${c} of 1,000 expected`)
})

test('the topology declares every shard, the delay queues, the dead letters and their bindings', () => {
  const t = buildTopology({ shards: 4, retryDelaysMs: [1_000, 250] })
  assert.deepEqual(t.exchanges.map((e) => [e.name, e.type]), [
    [ExchangeName.INBOUND, 'direct'], [ExchangeName.DELIVER, 'topic'], [ExchangeName.DEAD_LETTER, 'fanout'],
    ['chat.retry.1s', 'fanout'], ['chat.retry.250ms', 'fanout'],
  ])
  for (let k = 0; k < 4; k++) {
    const q = t.queues.find((x) => x.name === shardQueueName(k))
    assert.ok(q !== undefined)
    assert.equal(q.arguments['x-queue-type'], 'quorum')
    assert.equal(q.arguments['x-single-active-consumer'], true)
    assert.equal(q.arguments['x-dead-letter-exchange'], ExchangeName.DEAD_LETTER)
    assert.ok(t.bindings.some((b) => b.queue === q.name && b.exchange === ExchangeName.INBOUND && b.routingKey === shardRoutingKey(k)))
  }
  const retry = t.queues.find((q) => q.name === retryQueueName(1_000))
  assert.equal(retry?.arguments['x-message-ttl'], 1_000)
  assert.equal(retry?.arguments['x-dead-letter-exchange'], ExchangeName.INBOUND, 'back to chat.inbound with the shard routing key')
  assert.ok(t.bindings.some((b) => b.queue === DEAD_LETTER_QUEUE && b.exchange === ExchangeName.DEAD_LETTER))
})

test('an edge queue is exclusive, auto-deleted and bounded', () => {
  const q = edgeQueueSpec('edge-1')
  assert.equal(q.name, 'edge.edge-1')
  assert.equal(q.exclusive, true)
  assert.equal(q.autoDelete, true)
  assert.equal(q.durable, false)
  assert.equal(typeof q.arguments['x-max-length'], 'number')
})

test('deliver routing keys', () => {
  assert.equal(DeliverKey.room('r'), 'room.r')
  assert.equal(DeliverKey.presence('r'), 'presence.r')
  assert.equal(DeliverKey.typing('r'), 'typing.r')
  assert.equal(DeliverKey.user('u'), 'user.u')
  assert.equal(DeliverKey.members('r'), 'members.r')
})

test('every quorum queue is placed on up to RABBITMQ_QUORUM_SIZE nodes; an old queue is declared without it', () => {
  const t = buildTopology({ shards: 2, retryDelaysMs: [1_000], quorumSize: 5 })
  const quorum = t.queues.filter((q) => q.arguments['x-queue-type'] === 'quorum')
  assert.equal(quorum.length, 2 + 1 + 1)
  for (const q of quorum) assert.equal(q.arguments[QUORUM_SIZE_ARGUMENT], 5)
  assert.equal(buildTopology().queues[0]?.arguments[QUORUM_SIZE_ARGUMENT], 3)
  const shard = quorum[0]
  assert.ok(shard !== undefined)
  assert.equal(QUORUM_SIZE_ARGUMENT in withoutPlacement(shard).arguments, false)
  assert.equal(withoutPlacement(shard).arguments['x-single-active-consumer'], true)
  const refused = new Error("Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message \"PRECONDITION_FAILED - inequivalent arg 'x-quorum-initial-group-size' for queue 'chat.room.shard.0' in vhost '/': received the value '3' of type 'byte' but current is none\"")
  assert.equal(queueWithoutPlacement(refused), 'chat.room.shard.0')
  assert.equal(queueWithoutPlacement(new Error("inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received '5' but current is '3'")), undefined)
})

test('loadTopologyOptions: defaults, every variable parsed, a bad value names its variable', () => {
  assert.deepEqual(loadTopologyOptions({}), { shards: 16, retryDelaysMs: [1_000, 5_000, 30_000], quorumSize: 3 })
  assert.deepEqual(loadTopologyOptions({ RABBITMQ_SHARDS: '4', DISPATCH_RETRY_DELAYS_MS: '200, 400', RABBITMQ_QUORUM_SIZE: '1' }),
    { shards: 4, retryDelaysMs: [200, 400], quorumSize: 1 })
  for (const [name, value] of [['RABBITMQ_SHARDS', '0'], ['RABBITMQ_SHARDS', 'x'], ['DISPATCH_RETRY_DELAYS_MS', '100,-1'], ['DISPATCH_RETRY_DELAYS_MS', ','], ['RABBITMQ_QUORUM_SIZE', '0']] as const) {
    assert.throws(() => loadTopologyOptions({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.message.includes(name), `${name}=${value}`)
  }
})
