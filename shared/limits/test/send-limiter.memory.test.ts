import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TestClock } from '@chat/testing'
import { MemorySendLimiter } from '../src/index.js'
import { sendLimiterContract } from './send-limiter.contract.js'

await sendLimiterContract('memory', async (t, limits) => {
  const clock = new TestClock()
  const limiter = new MemorySendLimiter({ ...limits, now: () => clock.now() })
  t.after(() => limiter.close())
  return { limiter, elapse: async (ms) => clock.advance(ms) }
})

await test('MemorySendLimiter', async (suite) => {
  await suite.test('answers synchronously', () => {
    const limiter = new MemorySendLimiter({ ratePerSecond: 1, burst: 1 })
    assert.equal(limiter.take('alice'), true)
    assert.equal(limiter.take('alice'), false)
  })

  await suite.test('keeps at most maxUsers buckets; a dropped bucket starts full', () => {
    const clock = new TestClock()
    const limiter = new MemorySendLimiter({ ratePerSecond: 1, burst: 1, maxUsers: 2, now: () => clock.now() })
    assert.equal(limiter.take('a'), true)
    assert.equal(limiter.take('b'), true)
    assert.equal(limiter.take('a'), false, 'a is still limited')
    assert.equal(limiter.take('c'), true) // evicts b, the least recently active
    assert.equal(limiter.take('b'), true, 'b starts over')
  })
})
