import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenBucket } from '../src/index.js'

await test('TokenBucket', async (suite) => {
  await suite.test('starts full: burst tokens at once, then none', () => {
    const b = new TokenBucket(20, 40, 0)
    for (let i = 0; i < 40; i++) assert.equal(b.take(0), true, `token ${i}`)
    assert.equal(b.take(0), false)
  })

  await suite.test('refills at the rate, in fractions, never above burst', () => {
    const b = new TokenBucket(20, 2, 0)
    assert.equal(b.take(0), true)
    assert.equal(b.take(0), true)
    assert.equal(b.take(49), false, 'a token takes 50 ms at 20 a second')
    assert.equal(b.take(50), true)
    assert.equal(b.tokens(10_000), 2, 'capped at burst after a long pause')
  })

  await suite.test('a refused take costs nothing', () => {
    const b = new TokenBucket(10, 1, 0)
    assert.equal(b.take(0), true)
    for (let t = 0; t < 100; t += 10) assert.equal(b.take(t), false)
    assert.equal(b.take(100), true, 'the token due at 100 ms is there')
  })

  await suite.test('a clock that moves back adds nothing and takes nothing away', () => {
    const b = new TokenBucket(1, 1, 1_000)
    assert.equal(b.take(1_000), true)
    assert.equal(b.take(500), false)
    assert.equal(b.tokens(1_500), 0.5)
    assert.equal(b.take(2_000), true)
  })

  await suite.test('refuses a rate or burst that would make no bucket', () => {
    assert.throws(() => new TokenBucket(0, 1, 0), RangeError)
    assert.throws(() => new TokenBucket(Number.NaN, 1, 0), RangeError)
    assert.throws(() => new TokenBucket(1, 0, 0), RangeError)
    assert.throws(() => new TokenBucket(1, 1.5, 0), RangeError)
  })
})
