import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DrizzleQueryError } from 'drizzle-orm'
import { StoreError, StoreErrorCode, StoreUnavailableError } from '../src/index.js'
import { classifyError, MESSAGES_IDEMPOTENCY_KEY } from '../src/store-errors.js'

const withCode = (code: string, extra: object = {}): Error => Object.assign(new Error(code), { code }, extra)

await test('connection failures become StoreUnavailableError UNAVAILABLE with the driver error as cause', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT',
    '08006', '08001', '57P01', '57P02', '57P03', '53300', '53100']) {
    const cause = withCode(code)
    const err = classifyError(cause)
    assert.ok(err instanceof StoreUnavailableError, code)
    assert.equal(err.code, StoreErrorCode.UNAVAILABLE)
    assert.equal(err.cause, cause)
  }
})

await test('lost conflicts become StoreUnavailableError CONFLICT', () => {
  for (const cause of [withCode('40001'), withCode('40P01'), withCode('55P03'),
    withCode('23505', { constraint_name: MESSAGES_IDEMPOTENCY_KEY }), withCode('23505', { constraint: MESSAGES_IDEMPOTENCY_KEY })]) {
    const err = classifyError(cause)
    assert.ok(err instanceof StoreUnavailableError)
    assert.equal(err.code, StoreErrorCode.CONFLICT)
    assert.equal(err.cause, cause)
  }
})

await test('anything else is returned as is: other unique violations, syntax errors, plain errors', () => {
  for (const err of [withCode('23505', { constraint_name: 'users_pkey' }), withCode('42601'), withCode('23503'), new TypeError('x')]) {
    assert.equal(classifyError(err), err)
  }
  const closed = new StoreError(StoreErrorCode.CLOSED, 'closed')
  assert.equal(classifyError(closed), closed)
})

await test("drizzle's wrapper is looked through, and never returned (its message lists the parameters)", () => {
  const refused = withCode('ECONNREFUSED')
  const wrapped = new DrizzleQueryError('select $1', ['secret'], refused)
  const err = classifyError(wrapped)
  assert.ok(err instanceof StoreUnavailableError)
  assert.equal(err.cause, refused)
  const syntax = withCode('42601')
  assert.equal(classifyError(new DrizzleQueryError('select $1', ['secret'], syntax)), syntax)
})
