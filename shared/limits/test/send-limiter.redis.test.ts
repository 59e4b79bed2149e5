import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { serverUrl, uniqueName, waitFor } from '@chat/testing'
import { RedisSendLimiter } from '../src/redis.js'
import { sendLimiterContract } from './send-limiter.contract.js'
import { removeKeys, scanKeys } from './redis-keys.js'

const url = await serverUrl('REDIS_URL')

if (url === undefined) {
  await test.skip('SendLimiter (redis): the Redis server does not answer')
} else {
  const admin = new Redis(url)
  try {
    await suites(url, admin)
  } finally {
    await admin.quit()
  }
}

async function suites (url: string, admin: Redis): Promise<void> {
  function freshPrefix (t: TestContext): string {
    const prefix = `${uniqueName('t_limits')}:`
    t.after(() => removeKeys(admin, prefix))
    return prefix
  }

  async function borrowedClient (t: TestContext): Promise<Redis> {
    const client = new Redis(url)
    t.after(() => client.disconnect())
    await client.ping()
    return client
  }

  /** Counts the writes on a client's socket (one per command or pipeline). */
  function countWrites (t: TestContext, client: Redis): () => number {
    const socket = client.stream
    const write = socket.write
    let writes = 0
    socket.write = function (this: typeof socket, ...args: Parameters<typeof write>) {
      writes++
      return write.apply(this, args)
    } as typeof write
    t.after(() => { socket.write = write })
    return () => writes
  }

  await sendLimiterContract('redis', async (t, limits) => {
    const limiter = await RedisSendLimiter.connect({ url, keyPrefix: freshPrefix(t), ...limits })
    t.after(() => limiter.close())
    // The bucket runs on the server's clock: real time has to pass.
    return { limiter, elapse: async (ms) => { await sleep(ms) } }
  })

  await test('RedisSendLimiter', async (suite) => {
    await suite.test('edges share a user\'s bucket: sessions on two edges get the burst once (plus a SEND an edge while the news travels)', async (t) => {
      const keyPrefix = freshPrefix(t)
      const edges = [
        await RedisSendLimiter.connect({ url, keyPrefix, ratePerSecond: 0.1, burst: 5 }),
        await RedisSendLimiter.connect({ url, keyPrefix, ratePerSecond: 0.1, burst: 5 }),
      ]
      t.after(async () => { for (const e of edges) await e.close() })
      const answers: boolean[] = []
      for (let i = 0; i < 25; i++) {
        const edge = edges[i % 2] as RedisSendLimiter
        answers.push(edge.take('alice'))
        await edge.settled() // SENDs further apart than a round trip
      }
      // 1. Five from the shared bucket; the edge that did not make the fifth learns it is empty with its next SEND.
      assert.deepEqual(answers.slice(0, 7), [true, true, true, true, true, true, false])
      assert.equal(answers.filter(Boolean).length, 6, 'not 10: each edge alone would have let 5 through')
      assert.equal((edges[0] as RedisSendLimiter).take('bob'), true, 'another user is not limited by alice')
    })

    await suite.test('a SEND never waits: SENDs of a turn are charged in one round trip, a refusal costs none', async (t) => {
      const client = await borrowedClient(t)
      const limiter = new RedisSendLimiter({ client, keyPrefix: freshPrefix(t), ratePerSecond: 0.1, burst: 3 })
      limiter.take('warm-up') // loads the script (EVALSHA, NOSCRIPT, EVAL) once
      await limiter.settled()
      const writes = countWrites(t, client)
      // 1. Three SENDs in one turn: answered at once, charged with one script call.
      assert.deepEqual([limiter.take('alice'), limiter.take('alice'), limiter.take('alice')], [true, true, true])
      await limiter.settled()
      assert.equal(writes(), 1)
      // 2. The local bucket is empty: refused without asking.
      assert.equal(limiter.take('alice'), false)
      await limiter.settled()
      assert.equal(writes(), 1)
    })

    await suite.test('once Redis says the shared bucket is empty, the user is refused locally until the next token is due', async (t) => {
      const keyPrefix = freshPrefix(t)
      const client = await borrowedClient(t)
      const here = new RedisSendLimiter({ client, keyPrefix, ratePerSecond: 0.1, burst: 2 })
      const elsewhere = await RedisSendLimiter.connect({ url, keyPrefix, ratePerSecond: 0.1, burst: 2 })
      t.after(() => elsewhere.close())
      // 1. The user spends the whole bucket through the other edge.
      assert.equal(elsewhere.take('alice'), true)
      assert.equal(elsewhere.take('alice'), true)
      await elsewhere.settled()
      const writes = countWrites(t, client)
      // 2. This edge knows nothing yet: its SEND goes, and its charge brings the news.
      assert.equal(here.take('alice'), true)
      await here.settled()
      assert.equal(writes(), 1)
      // 3. The next token is seconds away: refused here meanwhile, without a round trip.
      for (let i = 0; i < 10; i++) assert.equal(here.take('alice'), false)
      await here.settled()
      assert.equal(writes(), 1)
    })

    await suite.test('SENDs let through beyond the bucket are charged as debt, which the user then waits out', async (t) => {
      const keyPrefix = freshPrefix(t)
      const [a, b] = [
        await RedisSendLimiter.connect({ url, keyPrefix, ratePerSecond: 10, burst: 2 }),
        await RedisSendLimiter.connect({ url, keyPrefix, ratePerSecond: 10, burst: 2 }),
      ]
      t.after(async () => { await a.close(); await b.close() })
      // 1. Each edge lets two through, the second knowing nothing of the first: four SENDs on a bucket of two.
      assert.deepEqual([a.take('alice'), a.take('alice')], [true, true])
      await a.settled()
      assert.deepEqual([b.take('alice'), b.take('alice')], [true, true])
      await b.settled()
      const charged = Date.now()
      // 2. Its charge left two tokens of debt at 10 a second: no SEND on that edge for about 300 ms (a bucket of
      //    its own would have refilled in 100), and the other edge learns it with its next charge.
      assert.equal(b.take('alice'), false)
      await waitFor(() => b.take('alice'), { intervalMs: 10, timeoutMs: 5_000, what: 'the debt paid' })
      assert.ok(Date.now() - charged >= 200, `blocked ${Date.now() - charged} ms`)
    })

    await suite.test('when Redis does not answer, each edge limits the user on its own; SENDs never fail', async (t) => {
      const client = await borrowedClient(t)
      const warnings: unknown[] = []
      const limiter = new RedisSendLimiter({ client, keyPrefix: freshPrefix(t), ratePerSecond: 0.1, burst: 3, log: { warn: (obj) => warnings.push(obj) } })
      client.disconnect()
      await waitFor(() => client.status === 'end' || client.status === 'close', { what: 'the client to disconnect' })
      const answers: boolean[] = []
      for (let i = 0; i < 5; i++) {
        answers.push(limiter.take('alice'))
        await limiter.settled()
      }
      assert.deepEqual(answers, [true, true, true, false, false])
      assert.equal(warnings.length, 1, 'one warning, not one a SEND')
    })

    await suite.test('keeps one key a user under its prefix, expiring once the bucket would be full again', async (t) => {
      const keyPrefix = freshPrefix(t)
      const limiter = await RedisSendLimiter.connect({ url, keyPrefix, ratePerSecond: 2, burst: 4 })
      t.after(() => limiter.close())
      assert.equal(limiter.take('alice'), true)
      await limiter.settled()
      assert.deepEqual(await scanKeys(admin, `${keyPrefix}*`), [`${keyPrefix}sendrate:alice`])
      const pttl = await admin.pttl(`${keyPrefix}sendrate:alice`)
      assert.ok(pttl > 1_000 && pttl <= 1_500, `pttl ${pttl}`) // one token at 2 a second, plus a second
    })

    await suite.test('close quits a connection it opened and leaves a borrowed client open', async (t) => {
      const client = await borrowedClient(t)
      const borrowed = new RedisSendLimiter({ client, keyPrefix: freshPrefix(t), ratePerSecond: 1, burst: 1 })
      await borrowed.close()
      assert.equal(await client.ping(), 'PONG')
      const connectionName = uniqueName('owned')
      const owned = await RedisSendLimiter.connect({ url, keyPrefix: freshPrefix(t), ratePerSecond: 1, burst: 1, redisOptions: { connectionName } })
      const listed = async (): Promise<boolean> => String(await admin.client('LIST')).includes(`name=${connectionName}`)
      assert.equal(await listed(), true)
      await owned.close()
      await waitFor(async () => !(await listed()), { timeoutMs: 5_000, what: 'the owned connection to end' })
    })

    await suite.test('connect rejects when the server does not answer', async () => {
      await assert.rejects(RedisSendLimiter.connect({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', ratePerSecond: 1, burst: 1 }))
    })
  })
}
