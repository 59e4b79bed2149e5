import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TestClock, freePort, uniqueName, waitFor } from '../src/index.js'

test('waitFor returns the first truthy value', async () => {
  let n = 0
  assert.equal(await waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 }), 3)
})

test('waitFor gives up after its deadline with the last error as cause', async () => {
  await assert.rejects(waitFor(() => { throw new Error('not yet') }, { timeoutMs: 30, intervalMs: 5, what: 'x' }), (err: Error) => {
    assert.match(err.message, /timed out after 30 ms waiting for x/)
    assert.equal((err.cause as Error).message, 'not yet')
    return true
  })
})

test('TestClock moves only when told', () => {
  const c = new TestClock(1000)
  assert.equal(c.now(), 1000)
  c.advance(250)
  assert.equal(c.now(), 1250)
})

test('uniqueName is safe for database and vhost names and unique', () => {
  const a = uniqueName('My Tag!')
  assert.match(a, /^my_tag__[0-9a-f]{10}$/)
  assert.notEqual(a, uniqueName('My Tag!'))
})

test('freePort gives a bindable port', async () => {
  const port = await freePort()
  assert.ok(port > 0 && port < 65536)
})
