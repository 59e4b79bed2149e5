// Redis through Sentinel (REDIS_SENTINELS): a real primary, replica and three Sentinels on ports of their own. The
// primary is killed while a store is subscribed; the store lands on the promoted replica, and tells its caller to
// re-check what it may have missed, which the database (here DeviceVersions' loader) still has.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startRedisSentinelSet, uniqueName, waitFor } from '@chat/testing'
import type { RedisConnection } from '@chat/redis'
import { DeviceVersions } from '../src/index.js'
import { RedisTokenStore } from '../src/token-store.redis.js'

const set = await startRedisSentinelSet()
if (set === undefined) {
  if (process.env.CI === 'true') throw new Error('redis-server is needed for the Sentinel test')
  await test.skip('token store through Sentinel: no redis-server on this machine')
} else {
  await test('a revocation made during a Sentinel failover is found again once the broadcast is back', async (t) => {
    t.after(() => set.stop())
    const connection: RedisConnection = { kind: 'sentinel', sentinels: set.sentinels, name: set.name }
    const keyPrefix = `${uniqueName('t_sentinel')}:`
    const edge = await RedisTokenStore.connect({ url: connection, keyPrefix })
    t.after(() => edge.close())
    const history = await RedisTokenStore.connect({ url: connection, keyPrefix })
    t.after(() => history.close())
    const heard: number[] = []
    let resubscribed = 0
    edge.onRevoke((_, version) => heard.push(version))
    edge.onResubscribed(() => { resubscribed++ })
    const [first] = set.ports
    await waitFor(async () => /:1\r\n$/.test(await set.command(first, 'PUBSUB', 'NUMSUB', `${keyPrefix}revocations`)), { what: 'the subscription' })
    await history.setVersion('dev-1', 1)
    assert.equal(await edge.getVersion('dev-1'), 1)

    // 1. The primary dies; the Sentinels promote the replica.
    set.kill(first)
    await waitFor(async () => await set.primaryPort() === set.ports[1], { timeoutMs: 15_000, what: 'the failover' })
    // 2. Meanwhile the device is revoked: the database has version 2 (the source of truth); the broadcast may
    //    happen before the edge's subscriber is back, and then only the re-check finds it.
    const database = new Map([['dev-1', 2]])
    await waitFor(async () => await history.revoke('dev-1', 2).then(() => true, () => false), { timeoutMs: 10_000, what: 'a write on the new primary' })
    // 3. The edge's store reconnected through the Sentinels and asks its caller to re-check.
    await waitFor(() => resubscribed >= 1, { timeoutMs: 10_000, what: 'onResubscribed' })
    const versions = new DeviceVersions({ tokens: edge, loadVersion: async (id) => database.get(id), log: { warn () {} } })
    assert.equal(await versions.fromDatabase('dev-1'), 2, 'the re-check finds the revocation whether or not the broadcast was heard')
    // 4. Reads and the broadcast work on the new primary. (Commands fail fast while a client is switching over,
    //    and the old primary's clients each notice the switch on their own, so the first tries may fail.)
    await waitFor(async () => await edge.getVersion('dev-1').then((v) => v === 2, () => false), { timeoutMs: 10_000, what: 'the version read on the new primary' })
    await waitFor(async () => await history.revoke('dev-1', 3).then(() => true, () => false), { timeoutMs: 10_000, what: 'a revocation on the new primary' })
    await waitFor(() => heard.includes(3), { timeoutMs: 5_000, what: 'a revocation after the failover' })
  })
}
