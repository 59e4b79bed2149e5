import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { redisTestKit, scanKeys, serverUrl, uniqueName, waitFor } from '@chat/testing'
import { PresenceRejectedError, PresenceUnavailableError, type PresenceSession } from '../src/index.js'
import { RedisPresenceStore } from '../src/presence-store.redis.js'
import { presenceStoreContract } from './presence-store.contract.js'

const url = await serverUrl('REDIS_URL')

/** Real time passing, polled against a deadline (the store's clock is Date.now). */
async function realWait (ms: number): Promise<void> {
  const until = Date.now() + ms
  await waitFor(() => Date.now() >= until, { intervalMs: 5, timeoutMs: ms + 5_000, what: `${ms} ms to pass` })
}

function sessions (count: number, rooms: readonly string[]): PresenceSession[] {
  return Array.from({ length: count }, (_, i) => ({ sessionId: `s${i}`, userId: `u${i}`, username: `U${i}`, instanceId: 'e', rooms }))
}

if (url === undefined) {
  await test.skip('PresenceStore (redis): the Redis server does not answer')
} else {
  await redisSuite(url)
}

async function redisSuite (url: string): Promise<void> {
  const admin = new Redis(url)
  try {
    await suites(url, admin)
  } finally {
    await admin.quit()
  }
}

async function suites (url: string, admin: Redis): Promise<void> {
  const kit = redisTestKit(url, admin, 't_presence')
  const freshPrefix = (t: TestContext): string => kit.prefix(t)
  const borrowedClient = async (t: TestContext): Promise<Redis> => await kit.client(t)

  // 500 ms: long enough that the "refreshed ones stay" step has 250 ms of slack on a loaded machine.
  const ttlMs = 500
  await presenceStoreContract('redis', async (t) => {
    const keyPrefix = freshPrefix(t)
    const store = await RedisPresenceStore.connect({ url, keyPrefix, ttlMs })
    t.after(() => store.close())
    return { store, ttlMs, elapse: realWait }
  })

  await test('RedisPresenceStore', async (suite) => {
    await suite.test('refreshes a batch of 1,000 sessions in one round trip', async (t) => {
      const client = await borrowedClient(t)
      const store = new RedisPresenceStore({ client, keyPrefix: freshPrefix(t), ttlMs: 60_000 })
      // Count writes to the socket: ioredis writes a whole pipeline with one write.
      const socket = client.stream
      const write = socket.write
      let writes = 0
      socket.write = function (this: typeof socket, ...args: Parameters<typeof write>) {
        writes++
        return write.apply(this, args)
      } as typeof write
      t.after(() => { socket.write = write })

      const batch = sessions(1_000, ['r1', 'r2', 'r3'])
      const started = performance.now()
      await store.refresh(batch)
      const elapsedMs = performance.now() - started
      socket.write = write
      assert.equal(writes, 1)
      assert.ok(elapsedMs < 2_000, `refresh took ${elapsedMs} ms`)
      assert.equal((await store.roomOnline('r2')).length, 1_000)
    })

    await suite.test('writes every key under its prefix, and only the keys of the documented layout', async (t) => {
      const keyPrefix = freshPrefix(t)
      const store = await RedisPresenceStore.connect({ url, keyPrefix, ttlMs: 60_000 })
      t.after(() => store.close())
      const mark = uniqueName('mark')
      const alice: PresenceSession = { sessionId: `${mark}-s1`, userId: `${mark}-alice`, username: 'A', instanceId: 'e', rooms: [`${mark}-r1`, `${mark}-r2`] }
      const bob: PresenceSession = { sessionId: `${mark}-s2`, userId: `${mark}-bob`, username: 'B', instanceId: 'e', rooms: [`${mark}-r1`] }
      const before = new Set(await scanKeys(admin))

      await store.refresh([alice, bob])
      await store.leaveRoom(alice.sessionId, alice.userId, `${mark}-r2`)
      await store.endSession(bob, Date.now())
      await store.roomOnline(`${mark}-r1`)
      await store.userStatus(alice.userId)

      // Keys created meanwhile that could be ours: they name our ids or the presence layout.
      const created = (await scanKeys(admin)).filter((k) => !before.has(k) && (k.includes(mark) || k.includes('presence:')))
      assert.deepEqual(created.filter((k) => !k.startsWith(keyPrefix)), [])
      assert.deepEqual(await scanKeys(admin, `${keyPrefix}*`), [
        `${keyPrefix}presence:lastseen`,
        `${keyPrefix}presence:names`,
        `${keyPrefix}presence:room:${mark}-r1`,
        `${keyPrefix}presence:user:${mark}-alice`,
      ])
      assert.deepEqual(await admin.zrange(`${keyPrefix}presence:room:${mark}-r1`, '0', '-1'), [`${mark}-alice:${mark}-s1`])
    })

    await suite.test('lets the keys of sessions nobody refreshes vanish on their own (2 × ttl)', async (t) => {
      const keyPrefix = freshPrefix(t)
      const store = await RedisPresenceStore.connect({ url, keyPrefix, ttlMs: 300 })
      t.after(() => store.close())
      await store.refresh(sessions(3, ['r1']))
      const keys = await scanKeys(admin, `${keyPrefix}*`)
      assert.equal(keys.length, 5) // 3 users, 1 room, names
      for (const key of keys) {
        const pttl = await admin.pttl(key)
        assert.ok(pttl > 0 && pttl <= 600, `${key} pttl ${pttl}`)
      }
      await waitFor(async () => (await admin.exists(...keys)) === 0, { timeoutMs: 5_000, what: 'keys to expire' })
    })

    await suite.test('close quits a connection it created and leaves a borrowed client open', async (t) => {
      const client = await borrowedClient(t)
      const borrowed = new RedisPresenceStore({ client, keyPrefix: freshPrefix(t), ttlMs: 1_000 })
      await borrowed.close()
      assert.equal(await client.ping(), 'PONG')

      const connectionName = uniqueName('owned')
      const owned = await RedisPresenceStore.connect({ url, keyPrefix: freshPrefix(t), ttlMs: 1_000, redisOptions: { connectionName } })
      t.after(() => owned.close())
      const listed = async (): Promise<boolean> => String(await admin.client('LIST')).includes(`name=${connectionName}`)
      assert.equal(await listed(), true)
      await owned.close()
      await waitFor(async () => !(await listed()), { timeoutMs: 5_000, what: 'the owned connection to end' })
    })

    await suite.test('connect rejects with PresenceUnavailableError, leaving nothing open, when the server does not answer', async () => {
      await assert.rejects(
        RedisPresenceStore.connect({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', ttlMs: 1_000 }),
        (err) => err instanceof PresenceUnavailableError && err.code === 'PRESENCE_ERR_UNAVAILABLE' && err.cause instanceof Error,
      )
      // Nothing to assert on handles here: a reconnect loop left running would keep this file from exiting.
    })

    await suite.test('grades a server error as PresenceRejectedError and a lost connection as PresenceUnavailableError', async (t) => {
      const keyPrefix = freshPrefix(t)
      const client = await borrowedClient(t)
      const store = new RedisPresenceStore({ client, keyPrefix, ttlMs: 1_000 })
      await admin.set(`${keyPrefix}presence:names`, 'not a hash')
      await assert.rejects(store.refresh(sessions(1, ['r1'])), (err) =>
        err instanceof PresenceRejectedError && err.code === 'PRESENCE_ERR_REJECTED' &&
        err.cause instanceof Error && err.cause.message.startsWith('WRONGTYPE'))

      client.disconnect()
      await assert.rejects(store.userStatus('u0'), (err) =>
        err instanceof PresenceUnavailableError && err.code === 'PRESENCE_ERR_UNAVAILABLE')
    })
  })
}
