import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { probeExports } from '@chat/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

await test('the front door exports the port and the memory adapter without loading ioredis (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/presence', 'ioredis'), {
    names: [
      'MemoryPresenceStore', 'PresenceClosedError', 'PresenceError', 'PresenceErrorCode', 'PresenceRejectedError',
      'PresenceUnavailableError', 'systemClock',
    ],
    driverLoaded: false,
  })
})

await test('@chat/presence/redis exports the Redis adapter (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/presence/redis', 'ioredis'), { names: ['RedisPresenceStore'], driverLoaded: true })
})
