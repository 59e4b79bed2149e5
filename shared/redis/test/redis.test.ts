import { test } from 'node:test'
import assert from 'node:assert/strict'
import { serverUrl, uniqueName, waitFor } from '@chat/testing'
import { KeyPrefix, gradedErrors, isRedisRefusal } from '../src/index.js'
import { connectRedis, describeRedis, quitRedis } from '../src/redis-connection.js'

test('gradedErrors: one class per grade, named and coded for the store', () => {
  const e = gradedErrors({ prefix: 'DEMO', name: 'Demo', subject: 'demo store' })
  const cause = new Error('boom')
  const unavailable = new e.UnavailableError({ cause })
  assert.ok(unavailable instanceof e.StoreError && unavailable instanceof Error)
  assert.deepEqual([unavailable.name, unavailable.code, unavailable.message, unavailable.cause], ['DemoUnavailableError', 'DEMO_ERR_UNAVAILABLE', 'demo store is unavailable', cause])
  assert.deepEqual([new e.RejectedError().name, new e.RejectedError().code], ['DemoRejectedError', 'DEMO_ERR_REJECTED'])
  assert.deepEqual([new e.ClosedError().name, new e.ClosedError().code], ['DemoClosedError', 'DEMO_ERR_CLOSED'])
  assert.equal(new e.ClosedError() instanceof e.UnavailableError, false)
})

test('KeyPrefix joins parts under the prefix; describeRedis never shows a password', () => {
  assert.equal(new KeyPrefix('chat:').key('presence', 'room', 'r1'), 'chat:presence:room:r1')
  assert.throws(() => new KeyPrefix(undefined as unknown as string), TypeError)
  assert.equal(describeRedis('redis://:secret@h:6380/2'), 'h:6380')
  assert.equal(describeRedis({ kind: 'sentinel', name: 'm', sentinels: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }] }), 'sentinel m via a:1,b:2')
})

const url = await serverUrl('REDIS_URL')
if (url === undefined) {
  await test.skip('connectRedis: REDIS_URL does not answer')
} else {
  await test('connectRedis by URL resolves when ready, grades a refusal, and quits', async () => {
    const client = await connectRedis({ kind: 'url', url }, { what: 'test' })
    const key = `${uniqueName('t_redis')}:k`
    try {
      assert.equal(client.status, 'ready')
      await client.set(key, 'v')
      const refused = await client.incr(key).then(() => undefined, (err: unknown) => err)
      assert.equal(isRedisRefusal(refused), true, 'INCR of a string is a reply error')
      assert.equal(isRedisRefusal(new Error('Connection is closed.')), false)
    } finally {
      await client.del(key)
      await quitRedis(client)
    }
    await waitFor(() => client.status === 'end', { what: 'the connection to end' })
  })

  await test('connectRedis rejects, leaving nothing open, when no server answers', async () => {
    await assert.rejects(connectRedis('redis://127.0.0.1:1', { what: 'test' }))
  })
}
