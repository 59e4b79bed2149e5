import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryTokenStore } from '../src/index.js'
import { tokenStoreContract } from './token-store.contract.js'

await tokenStoreContract('memory', async (t) => {
  const store = new MemoryTokenStore()
  t.after(() => store.close())
  return { store, peer: store, subscribed: async () => {} }
})

await test('MemoryTokenStore', async (suite) => {
  await suite.test('runs the handlers synchronously, before revoke resolves', async (t) => {
    const store = new MemoryTokenStore()
    t.after(() => store.close())
    const received: number[] = []
    store.onRevoke((_, version) => received.push(version))
    const pending = store.revoke('dev-1', 3)
    assert.deepEqual(received, [3])
    await pending
  })

  await suite.test('the same function registered twice is two subscriptions', async (t) => {
    const store = new MemoryTokenStore()
    t.after(() => store.close())
    const received: number[] = []
    const handler = (_: string, version: number): void => { received.push(version) }
    const off = store.onRevoke(handler)
    store.onRevoke(handler)
    await store.revoke('dev-1', 1)
    off()
    await store.revoke('dev-1', 2)
    assert.deepEqual(received, [1, 1, 2])
  })

  await suite.test('logs a handler that throws', async (t) => {
    const warnings: Array<[object, string]> = []
    const store = new MemoryTokenStore({ log: { warn: (obj, msg) => warnings.push([obj, msg]) } })
    t.after(() => store.close())
    const boom = new Error('boom')
    store.onRevoke(() => { throw boom })
    await store.revoke('dev-1', 1)
    assert.deepEqual(warnings, [[{ err: boom, deviceId: 'dev-1' }, 'revocation handler failed']])
  })
})
