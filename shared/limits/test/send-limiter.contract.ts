import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { SendLimitOptions, SendLimiter } from '../src/index.js'

/** What a contract run needs of an adapter: a limiter with these limits, and a way to let time pass for it. */
export interface SendLimiterFixture {
  readonly limiter: SendLimiter
  /** Lets `ms` pass on the limiter's clock (a test clock, or real time for a server's clock). */
  elapse (ms: number): Promise<void>
}

export type SendLimiterFactory = (t: TestContext, limits: SendLimitOptions) => Promise<SendLimiterFixture>

/** The SendLimiter contract, run against every adapter. Rates are coarse enough for a server's real clock. */
export async function sendLimiterContract (name: string, make: SendLimiterFactory): Promise<void> {
  await test(`SendLimiter contract (${name})`, async (suite) => {
    await suite.test('a user gets burst SENDs at once, then refusals', async (t) => {
      const { limiter } = await make(t, { ratePerSecond: 2, burst: 5 })
      const answers = []
      for (let i = 0; i < 8; i++) answers.push(await limiter.take('alice'))
      assert.deepEqual(answers, [true, true, true, true, true, false, false, false])
    })

    await suite.test('the bucket refills at the rate', async (t) => {
      const { limiter, elapse } = await make(t, { ratePerSecond: 10, burst: 1 })
      assert.equal(await limiter.take('alice'), true)
      assert.equal(await limiter.take('alice'), false)
      await elapse(150)
      assert.equal(await limiter.take('alice'), true, 'a token came back after 100 ms')
      assert.equal(await limiter.take('alice'), false)
    })

    await suite.test('users have buckets of their own', async (t) => {
      const { limiter } = await make(t, { ratePerSecond: 1, burst: 2 })
      assert.equal(await limiter.take('alice'), true)
      assert.equal(await limiter.take('alice'), true)
      assert.equal(await limiter.take('alice'), false)
      assert.equal(await limiter.take('bob'), true)
      assert.equal(await limiter.take('bob'), true)
      assert.equal(await limiter.take('bob'), false)
    })

    await suite.test('refusals take nothing: a user who keeps trying gets the rate, not less', async (t) => {
      const { limiter, elapse } = await make(t, { ratePerSecond: 10, burst: 1 })
      assert.equal(await limiter.take('alice'), true)
      for (let i = 0; i < 20; i++) assert.equal(await limiter.take('alice'), false)
      await elapse(150)
      assert.equal(await limiter.take('alice'), true)
    })

    await suite.test('close is idempotent', async (t) => {
      const { limiter } = await make(t, { ratePerSecond: 1, burst: 1 })
      await limiter.close()
      await limiter.close()
    })
  })
}
