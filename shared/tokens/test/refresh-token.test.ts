import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashRefreshToken, newRefreshToken } from '../src/index.js'

await test('refresh tokens', async (suite) => {
  await suite.test('newRefreshToken is 32 random bytes in base64url', () => {
    const token = newRefreshToken()
    assert.match(token, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(Buffer.from(token, 'base64url').length, 32)
    assert.notEqual(newRefreshToken(), token)
  })

  await suite.test('hashRefreshToken is SHA-256 in hex, deterministic', () => {
    assert.equal(hashRefreshToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const token = newRefreshToken()
    assert.equal(hashRefreshToken(token), hashRefreshToken(token))
    assert.match(hashRefreshToken(token), /^[0-9a-f]{64}$/)
    assert.notEqual(hashRefreshToken(token), hashRefreshToken(newRefreshToken()))
  })
})
