import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEAD_LETTER_QUEUE, DeliverKey, ExchangeName, buildTopology, edgeQueueSpec, retryQueueName, shardOf, shardQueueName, shardRoutingKey } from '../src/index.js'

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
