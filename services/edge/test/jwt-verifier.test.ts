import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { loadJwtSettings } from '@chat/config'
import { createJwtVerifier } from '../src/jwt-verifier.js'

// Algorithm confusion against an edge configured with an RS256 public key: an HS256 token whose
// "secret" is that public key (with or without leading whitespace, CVE-2023-48223's shape) is refused,
// because the verifier accepts exactly one algorithm.

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const settings = loadJwtSettings({ JWT_PUBLIC_KEY: publicPem, JWT_PRIVATE_KEY: privatePem }, { needPrivateKey: true })
const verify = createJwtVerifier(settings)
const claims = { sub: 'u', dev: 'd', ver: 1, typ: 'access', name: 'n' }

function hs256WithKey (key: string): string {
  const now = Math.floor(Date.now() / 1000)
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
  const payload = Buffer.from(JSON.stringify({ ...claims, iss: settings.issuer, aud: settings.audience, iat: now, exp: now + 600 })).toString('base64url')
  const sig = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${sig}`
}

test('the configured algorithm follows the key: RS256 for an RSA public key', () => {
  assert.equal(settings.algorithm, 'RS256')
})

test('a genuine RS256 token verifies', () => {
  const sign = createSigner({ key: privatePem, algorithm: 'RS256', iss: settings.issuer, aud: settings.audience, expiresIn: 60_000 })
  const payload = verify(sign(claims)) as { sub: string }
  assert.equal(payload.sub, 'u')
})

test('HS256 signed with the public key as secret is refused', () => {
  assert.throws(() => verify(hs256WithKey(publicPem)))
})

test('HS256 signed with a whitespace-prefixed public key is refused', () => {
  assert.throws(() => verify(hs256WithKey(`  \n${publicPem}`)))
  assert.throws(() => verify(hs256WithKey(publicPem.trim())))
})

test('JWT_SECRET with surrounding whitespace or too short is refused at start', () => {
  assert.throws(() => loadJwtSettings({ JWT_SECRET: ` ${'x'.repeat(40)}` }, { needPrivateKey: false }), /whitespace/)
  assert.throws(() => loadJwtSettings({ JWT_SECRET: 'short' }, { needPrivateKey: false }), /at least 32 bytes/)
  assert.throws(() => loadJwtSettings({ NODE_ENV: 'production' }, { needPrivateKey: false }), /required when NODE_ENV=production/)
})
