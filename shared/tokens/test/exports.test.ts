import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { probeExports } from '@chat/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

await test('the front door exports the port, the memory adapter and the token helpers without loading ioredis (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/tokens', 'ioredis'), {
    names: [
      'DeviceVersions',
      'MemoryTokenStore', 'TOKEN_TYPE', 'TokenStoreClosedError', 'TokenStoreError', 'TokenStoreErrorCode',
      'TokenStoreRejectedError', 'TokenStoreUnavailableError', 'checkAccessClaims', 'hashRefreshToken', 'newRefreshToken',
    ],
    driverLoaded: false,
  })
})

await test('@chat/tokens/redis exports the Redis adapter (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/tokens/redis', 'ioredis'), { names: ['RedisTokenStore'], driverLoaded: true })
})
