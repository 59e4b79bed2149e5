import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** Runs an ES module in a fresh node (resolving `@chat/limits` through package.json `exports`, i.e. dist/). */
async function probe (code: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: packageDir })
  return JSON.parse(stdout)
}

const loaded = `
import { createRequire } from 'node:module'
const ioredisLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/ioredis/'))`

await test('the front door exports the memory adapters without loading ioredis (needs a build)', async () => {
  const out = await probe(`${loaded}
const m = await import('@chat/limits')
console.log(JSON.stringify({ names: Object.keys(m).sort(), ioredis: ioredisLoaded() }))`)
  assert.deepEqual(out, {
    names: ['MemorySendLimiter', 'TokenBucket'],
    ioredis: false,
  })
})

await test('@chat/limits/redis exports the Redis adapter (needs a build)', async () => {
  const out = await probe(`${loaded}
const m = await import('@chat/limits/redis')
console.log(JSON.stringify({ names: Object.keys(m).sort(), ioredis: ioredisLoaded() }))`)
  assert.deepEqual(out, { names: ['RedisSendLimiter'], ioredis: true })
})
