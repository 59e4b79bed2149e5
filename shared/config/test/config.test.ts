import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import Type from 'typebox'
import { ConfigError, fastifyJwtOptions, loadJwtSettings, parseEnv, parseList, requireVar } from '../src/index.js'

const Schema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  RATE: Type.Number({ exclusiveMinimum: 0, default: 20 }),
  NAME: Type.Optional(Type.String({ minLength: 1 })),
})

test('parseEnv applies defaults, converts strings and freezes the result', () => {
  const c = parseEnv(Schema, { PORT: '9000', OTHER: 'ignored' })
  assert.deepEqual(c, { PORT: 9000, RATE: 20 })
  assert.ok(Object.isFrozen(c))
  assert.deepEqual(parseEnv(Schema, { PORT: '', RATE: '2.5' }), { PORT: 8080, RATE: 2.5 }, 'empty means unset')
})

test('parseEnv refuses bad values at start, naming the variable', () => {
  assert.throws(() => parseEnv(Schema, { PORT: 'eighty' }), (err: Error) => err instanceof ConfigError && /PORT/.test(err.message))
  assert.throws(() => parseEnv(Schema, { PORT: '70000' }), /PORT/)
  assert.throws(() => parseEnv(Schema, { RATE: '0' }), /RATE/)
})

test('requireVar and parseList', () => {
  assert.throws(() => requireVar({}, 'DATABASE_URL', 'the edge needs it'), /DATABASE_URL is required/)
  assert.equal(requireVar({ X: 'y' }, 'X', ''), 'y')
  assert.deepEqual(parseList(' a, b ,,c '), ['a', 'b', 'c'])
  assert.deepEqual(parseList(undefined), [])
})

test('JWT settings: a secret, keys by type, an ephemeral secret outside production only', () => {
  const s = loadJwtSettings({ JWT_SECRET: 'x'.repeat(32), JWT_ISSUER: 'me' }, { needPrivateKey: true })
  assert.equal(s.algorithm, 'HS256')
  assert.equal(s.issuer, 'me')
  assert.equal(s.isEphemeral, false)
  const e = loadJwtSettings({}, { needPrivateKey: true })
  assert.equal(e.isEphemeral, true)
  assert.ok((e.secret ?? '').length >= 32)
  assert.throws(() => loadJwtSettings({ NODE_ENV: 'production' }, { needPrivateKey: false }), ConfigError)
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  assert.equal(loadJwtSettings({ JWT_PUBLIC_KEY: pub.replace(/\n/g, '\\n') }, { needPrivateKey: false }).algorithm, 'ES256')
  assert.throws(() => loadJwtSettings({ JWT_PUBLIC_KEY: pub }, { needPrivateKey: true }), /JWT_PRIVATE_KEY is required/)
  assert.throws(() => loadJwtSettings({ JWT_PUBLIC_KEY: pub, JWT_SECRET: 'x'.repeat(32) }, { needPrivateKey: false }), /not both/)
  assert.throws(() => loadJwtSettings({ JWT_PUBLIC_KEY: 'not a key' }, { needPrivateKey: false }), ConfigError)
  const asym = loadJwtSettings({ JWT_PUBLIC_KEY: pub, JWT_PRIVATE_KEY: priv }, { needPrivateKey: true })
  const opts = fastifyJwtOptions(asym)
  assert.deepEqual(opts.verify.algorithms, ['ES256'], 'one algorithm, pinned')
  assert.equal(opts.sign.algorithm, 'ES256')
  assert.deepEqual(Object.keys(opts.secret as object).sort(), ['private', 'public'])
})
