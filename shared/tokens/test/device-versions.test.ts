import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DeviceVersions, MemoryTokenStore, type TokenStore } from '../src/index.js'

const silent = { warn () {} }

function versions (tokens: TokenStore, db: Map<string, number>): { v: DeviceVersions, reads: () => number } {
  let reads = 0
  const v = new DeviceVersions({ tokens, loadVersion: async (id) => { reads++; return db.get(id) }, log: silent })
  return { v, reads: () => reads }
}

await test('answers from the token store when it knows the device', async () => {
  const tokens = new MemoryTokenStore()
  await tokens.setVersion('d1', 3)
  const { v, reads } = versions(tokens, new Map([['d1', 3]]))
  assert.equal(await v.current('d1', 3), 3)
  assert.equal(reads(), 0)
})

await test('falls back to the database for an unknown device and caches the answer', async () => {
  const tokens = new MemoryTokenStore()
  const { v, reads } = versions(tokens, new Map([['d1', 2]]))
  assert.equal(await v.current('d1', 2), 2)
  assert.equal(reads(), 1)
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(await tokens.getVersion('d1'), 2)
  assert.equal(await v.current('d1', 2), 2)
  assert.equal(reads(), 1)
})

await test('a store holding a version below the token\'s asks the database, which decides', async () => {
  const tokens = new MemoryTokenStore()
  await tokens.setVersion('d1', 1)
  const { v, reads } = versions(tokens, new Map([['d1', 2]]))
  assert.equal(await v.current('d1', 2), 2)
  assert.equal(reads(), 1)
})

await test('a device the database does not know is undefined', async () => {
  const { v } = versions(new MemoryTokenStore(), new Map())
  assert.equal(await v.current('nope', 1), undefined)
})

await test('a token store that fails falls back to the database', async () => {
  const broken = new MemoryTokenStore()
  await broken.close()
  const { v, reads } = versions(broken, new Map([['d1', 5]]))
  assert.equal(await v.current('d1', 5), 5)
  assert.equal(reads(), 1)
})
