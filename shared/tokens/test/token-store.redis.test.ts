import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { redisTestKit, scanKeys, serverUrl, uniqueName, waitFor } from '@chat/testing'
import { TokenStoreRejectedError, TokenStoreUnavailableError, type Logger } from '../src/index.js'
import { RedisTokenStore } from '../src/token-store.redis.js'
import { tokenStoreContract } from './token-store.contract.js'

const url = await serverUrl('REDIS_URL')

if (url === undefined) {
  await test.skip('TokenStore (redis): the Redis server does not answer')
} else {
  const admin = new Redis(url)
  try {
    await suites(url, admin)
  } finally {
    await admin.quit()
  }
}

function capturingLogger (): { log: Logger, warnings: Array<[object, string]> } {
  const warnings: Array<[object, string]> = []
  return { warnings, log: { warn: (obj, msg) => { warnings.push([obj, msg]) } } }
}

async function suites (url: string, admin: Redis): Promise<void> {
  const kit = redisTestKit(url, admin, 't_tokens')
  const freshPrefix = (t: TestContext): string => kit.prefix(t)
  const borrowedClient = async (t: TestContext): Promise<Redis> => await kit.client(t)

  async function subscribers (channel: string): Promise<number> {
    const [, count] = await admin.pubsub('NUMSUB', channel)
    return Number(count)
  }

  /** Waits until `instances` connections subscribe to the store's channel. */
  async function subscribed (keyPrefix: string, instances: number): Promise<void> {
    await waitFor(async () => (await subscribers(`${keyPrefix}revocations`)) >= instances, { timeoutMs: 5_000, what: 'SUBSCRIBE' })
  }

  /** `CLIENT LIST` lines of the connections named `name`. */
  async function connections (name: string): Promise<string[]> {
    return String(await admin.client('LIST')).split('\n').filter((line) => line.includes(` name=${name} `))
  }

  // Two edges: one store borrowing a client, one owning its connection.
  await tokenStoreContract('redis', async (t) => {
    const keyPrefix = freshPrefix(t)
    const store = new RedisTokenStore({ client: await borrowedClient(t), keyPrefix })
    t.after(() => store.close())
    const peer = await RedisTokenStore.connect({ url, keyPrefix })
    t.after(() => peer.close())
    return { store, peer, subscribed: (instances) => subscribed(keyPrefix, instances) }
  })

  await test('RedisTokenStore', async (suite) => {
    await suite.test('keeps versions under its prefix for 30 days and publishes on its prefixed channel', async (t) => {
      const keyPrefix = freshPrefix(t)
      const store = await RedisTokenStore.connect({ url, keyPrefix })
      t.after(() => store.close())
      const device = uniqueName('dev')
      const listener = new Redis(url)
      t.after(() => listener.disconnect())
      const messages: string[] = []
      listener.on('message', (_channel: string, message: string) => messages.push(message))
      await listener.subscribe(`${keyPrefix}revocations`)
      const before = new Set(await scanKeys(admin))

      await store.setVersion(device, 1)
      await store.revoke(device, 2)

      const created = (await scanKeys(admin)).filter((k) => !before.has(k) && (k.includes(device) || k.includes('tokens:')))
      assert.deepEqual(created.filter((k) => !k.startsWith(keyPrefix)), [])
      assert.deepEqual(await scanKeys(admin, `${keyPrefix}*`), [`${keyPrefix}tokens:ver:${device}`])
      assert.equal(await admin.get(`${keyPrefix}tokens:ver:${device}`), '2')
      const pttl = await admin.pttl(`${keyPrefix}tokens:ver:${device}`)
      const thirtyDays = 30 * 24 * 3600 * 1000
      assert.ok(pttl > thirtyDays - 60_000 && pttl <= thirtyDays, `pttl ${pttl}`)
      await waitFor(() => messages.length > 0, { timeoutMs: 5_000, what: 'the published revocation' })
      assert.deepEqual(messages.map((m) => JSON.parse(m)), [{ deviceId: device, version: 2 }])
    })

    await suite.test('forgets a version after versionTtlMs (the caller refills it from the database)', async (t) => {
      const keyPrefix = freshPrefix(t)
      const store = await RedisTokenStore.connect({ url, keyPrefix, versionTtlMs: 200 })
      t.after(() => store.close())
      await store.setVersion('dev-1', 4)
      assert.equal(await store.getVersion('dev-1'), 4)
      await waitFor(async () => (await store.getVersion('dev-1')) === undefined, { timeoutMs: 5_000, what: 'expiry' })
    })

    await suite.test('treats a value it did not write as unknown, and overwrites it', async (t) => {
      const keyPrefix = freshPrefix(t)
      const store = await RedisTokenStore.connect({ url, keyPrefix })
      t.after(() => store.close())
      await admin.set(`${keyPrefix}tokens:ver:dev-1`, 'garbage')
      assert.equal(await store.getVersion('dev-1'), undefined)
      await store.setVersion('dev-1', 3)
      assert.equal(await store.getVersion('dev-1'), 3)
    })

    await suite.test('opens the subscriber connection on the first onRevoke and ends both on close', async (t) => {
      const connectionName = uniqueName('tokens')
      const store = await RedisTokenStore.connect({ url, keyPrefix: freshPrefix(t), redisOptions: { connectionName } })
      t.after(() => store.close())
      assert.equal((await connections(connectionName)).length, 1)
      store.onRevoke(() => {})
      store.onRevoke(() => {})
      await waitFor(async () => (await connections(connectionName)).length === 2, { timeoutMs: 5_000, what: 'the subscriber' })
      await store.close()
      await waitFor(async () => (await connections(connectionName)).length === 0, { timeoutMs: 5_000, what: 'both connections to end' })
    })

    await suite.test('resubscribes after the subscriber connection is lost, and logs that it may have missed some', async (t) => {
      const keyPrefix = freshPrefix(t)
      const connectionName = uniqueName('tokens')
      const { log, warnings } = capturingLogger()
      const store = await RedisTokenStore.connect({ url, keyPrefix, log, redisOptions: { connectionName } })
      t.after(() => store.close())
      const received: number[] = []
      store.onRevoke((_, version) => received.push(version))
      let resubscribed = 0
      store.onResubscribed(() => { resubscribed++ })
      await subscribed(keyPrefix, 1)
      assert.equal(resubscribed, 0, 'not on the first subscription')
      // 1. kill the subscriber connection on the server side
      const [line] = (await connections(connectionName)).filter((l) => / sub=1 /.test(l))
      const id = /(?:^| )id=(\d+)/.exec(line ?? '')?.[1]
      assert.ok(id !== undefined, 'subscriber connection not found')
      await admin.client('KILL', 'ID', id)
      assert.equal(await subscribers(`${keyPrefix}revocations`), 0)
      // 2. ioredis reconnects and resubscribes on its own; the store warns about the gap
      await subscribed(keyPrefix, 1)
      await waitFor(() => warnings.some(([, msg]) => msg.startsWith('revocation subscriber reconnected')), { timeoutMs: 5_000, what: 'the warning' })
      // 3. once subscribed again, the caller is told to re-check what it may have missed
      await waitFor(() => resubscribed === 1, { timeoutMs: 5_000, what: 'onResubscribed' })
      // 4. revocations reach the handler again
      await store.revoke('dev-1', 5)
      await waitFor(() => received.includes(5), { timeoutMs: 5_000, what: 'the revocation' })
    })

    await suite.test('ignores and logs malformed messages on its channel', async (t) => {
      const keyPrefix = freshPrefix(t)
      const { log, warnings } = capturingLogger()
      const store = await RedisTokenStore.connect({ url, keyPrefix, log })
      t.after(() => store.close())
      const received: Array<[string, number]> = []
      store.onRevoke((deviceId, version) => received.push([deviceId, version]))
      await subscribed(keyPrefix, 1)
      await admin.publish(`${keyPrefix}revocations`, 'not json')
      await admin.publish(`${keyPrefix}revocations`, JSON.stringify({ deviceId: 'dev-1', version: 0 }))
      await store.revoke('dev-1', 1)
      await waitFor(() => received.length > 0, { timeoutMs: 5_000, what: 'the revocation' })
      assert.deepEqual(received, [['dev-1', 1]])
      assert.equal(warnings.filter(([, msg]) => msg === 'malformed revocation message ignored').length, 2)
    })

    await suite.test('logs a handler that throws', async (t) => {
      const keyPrefix = freshPrefix(t)
      const { log, warnings } = capturingLogger()
      const store = await RedisTokenStore.connect({ url, keyPrefix, log })
      t.after(() => store.close())
      const boom = new Error('boom')
      store.onRevoke(() => { throw boom })
      await subscribed(keyPrefix, 1)
      await store.revoke('dev-1', 1)
      await waitFor(() => warnings.length > 0, { timeoutMs: 5_000, what: 'the warning' })
      assert.deepEqual(warnings, [[{ err: boom, deviceId: 'dev-1' }, 'revocation handler failed']])
    })

    await suite.test('close leaves a borrowed client open', async (t) => {
      const client = await borrowedClient(t)
      const store = new RedisTokenStore({ client, keyPrefix: freshPrefix(t) })
      store.onRevoke(() => {})
      await store.close()
      assert.equal(await client.ping(), 'PONG')
    })

    await suite.test('connect rejects with TokenStoreUnavailableError, leaving nothing open, when the server does not answer', async () => {
      await assert.rejects(
        RedisTokenStore.connect({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:' }),
        (err) => err instanceof TokenStoreUnavailableError && err.code === 'TOKENS_ERR_UNAVAILABLE' && err.cause instanceof Error,
      )
    })

    await suite.test('grades a server error as TokenStoreRejectedError and a lost connection as TokenStoreUnavailableError', async (t) => {
      const keyPrefix = freshPrefix(t)
      const client = await borrowedClient(t)
      const store = new RedisTokenStore({ client, keyPrefix })
      await admin.hset(`${keyPrefix}tokens:ver:dev-1`, 'not', 'a string')
      const rejected = (err: unknown): boolean => err instanceof TokenStoreRejectedError && err.code === 'TOKENS_ERR_REJECTED'
      await assert.rejects(store.getVersion('dev-1'), rejected)
      await assert.rejects(store.setVersion('dev-1', 1), rejected)

      client.disconnect()
      await assert.rejects(store.getVersion('dev-2'), (err) =>
        err instanceof TokenStoreUnavailableError && err.code === 'TOKENS_ERR_UNAVAILABLE')
    })
  })
}
