import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Header } from '@chat/topology'
import { deadLetterOf, outcomeOfFailure, planOutcome, readRetryCount, retryDelayMs } from '../src/outcome-plan.js'
import type { Outcome } from '../src/index.js'

const policy = { maxAttempts: 3, retryDelaysMs: [1_000, 5_000] }
const delivery = (retryCount: number): { retryCount: number, shard: number, headers: Record<string, unknown> } => ({
  retryCount,
  shard: 7,
  headers: { [Header.RETRY_COUNT]: retryCount, custom: 'kept', 'x-death': [{ count: 1 }], 'x-first-death-reason': 'expired', 'x-delivery-count': 2 },
})

await test('outcome rules', async (suite) => {
  await suite.test('retry n waits retryDelaysMs[min(n, last)]', () => {
    assert.deepEqual([0, 1, 2, 9].map((n) => retryDelayMs(n, [100, 200])), [100, 200, 200, 200])
    assert.throws(() => retryDelayMs(0, []), RangeError)
  })

  await suite.test('x-retry-count reads as a non-negative integer, 0 when absent or malformed', () => {
    assert.deepEqual([undefined, {}, { 'x-retry-count': 3 }, { 'x-retry-count': '2' }, { 'x-retry-count': -1 }, { 'x-retry-count': 'x' }]
      .map((h) => readRetryCount(h)), [0, 0, 3, 2, 0, 0])
  })

  await suite.test('a retry below maxAttempts is a copy to the delay exchange with x-retry-count + 1 and no broker headers', () => {
    assert.deepEqual(planOutcome({ outcome: 'retry', reason: 'r' }, delivery(1), policy), {
      action: 'republish',
      kind: 'retry',
      exchange: 'chat.retry.5s',
      headers: { [Header.RETRY_COUNT]: 2, custom: 'kept' },
      reason: 'r',
    })
  })

  await suite.test('a retry at maxAttempts, or a dead-letter, is a copy to chat.dlx with the reason, count and shard', () => {
    const expected = {
      action: 'republish',
      kind: 'dead-letter',
      exchange: 'chat.dlx',
      headers: { [Header.RETRY_COUNT]: 2, custom: 'kept', [Header.DEATH_REASON]: 'r', [Header.ORIGIN_SHARD]: 7 },
      reason: 'r',
    }
    assert.deepEqual(planOutcome({ outcome: 'retry', reason: 'r' }, delivery(2), policy), expected)
    assert.deepEqual(planOutcome({ outcome: 'dead-letter', reason: 'r' }, delivery(2), policy), expected)
  })

  await suite.test('ack and requeue; anything else is a retry', () => {
    assert.deepEqual(planOutcome({ outcome: 'ack' }, delivery(0), policy), { action: 'ack' })
    assert.deepEqual(planOutcome({ outcome: 'requeue' }, delivery(0), policy), { action: 'requeue' })
    const bogus = planOutcome(undefined as unknown as Outcome, delivery(0), policy)
    assert.equal(bogus.action === 'republish' && bogus.kind, 'retry')
    assert.deepEqual(outcomeOfFailure(new Error('boom')), { outcome: 'retry', reason: 'boom' })
    assert.deepEqual(outcomeOfFailure('text'), { outcome: 'retry', reason: 'text' })
  })

  await suite.test('a dead letter shows our reason, else the broker\'s', () => {
    const body = Buffer.from('x')
    assert.equal(deadLetterOf(body, { [Header.DEATH_REASON]: 'mine', 'x-first-death-reason': 'expired' }).reason, 'mine')
    assert.equal(deadLetterOf(body, { 'x-first-death-reason': 'delivery_limit' }).reason, 'delivery_limit')
    assert.deepEqual(deadLetterOf(body, undefined), { body, reason: 'unknown', retryCount: 0, headers: {} })
  })
})
