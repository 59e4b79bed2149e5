import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TOKEN_TYPE, checkAccessClaims, type AccessClaims } from '../src/index.js'

const good: AccessClaims = {
  sub: '0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b',
  dev: 'F47AC10B-58CC-4372-A567-0E02B2C3D479',
  ver: 3,
  typ: TOKEN_TYPE.ACCESS,
  name: 'alice',
  iss: 'chat-history',
  aud: 'chat',
  iat: 1_700_000_000,
  exp: 1_700_000_900,
}

await test('checkAccessClaims', async (suite) => {
  await suite.test('accepts good claims and returns them typed', () => {
    assert.deepEqual(checkAccessClaims({ ...good }), { ok: true, claims: good })
    assert.deepEqual(checkAccessClaims({ ...good, nbf: 1_700_000_000 }), { ok: true, claims: { ...good, nbf: 1_700_000_000 } })
  })

  await suite.test('drops claims it does not know', () => {
    const result = checkAccessClaims({ ...good, jti: 'x', admin: true })
    assert.deepEqual(result, { ok: true, claims: good })
  })

  await suite.test('refuses a refresh token (or any other type) as wrong-type', () => {
    assert.deepEqual(checkAccessClaims({ ...good, typ: TOKEN_TYPE.REFRESH }), { ok: false, reason: 'wrong-type' })
    assert.deepEqual(checkAccessClaims({ ...good, typ: 'id' }), { ok: false, reason: 'wrong-type' })
  })

  await suite.test('refuses malformed payloads and claims as malformed, without throwing', () => {
    const { typ: _typ, ...noTyp } = good
    const { dev: _dev, ...noDev } = good
    const { aud: _aud, ...noAud } = good
    const bad: Array<[string, unknown]> = [
      ['null', null],
      ['a string', 'token'],
      ['an array', [good]],
      ['no typ', noTyp],
      ['typ not a string', { ...good, typ: 1 }],
      ['sub not a uuid', { ...good, sub: 'alice' }],
      ['sub a number', { ...good, sub: 42 }],
      ['no dev', noDev],
      ['dev with junk around a uuid', { ...good, dev: ` ${good.dev}` }],
      ['ver 0', { ...good, ver: 0 }],
      ['ver negative', { ...good, ver: -1 }],
      ['ver fractional', { ...good, ver: 1.5 }],
      ['ver a string', { ...good, ver: '3' }],
      ['ver beyond safe integers', { ...good, ver: 2 ** 53 }],
      ['name empty', { ...good, name: '' }],
      ['name missing', { ...good, name: undefined }],
      ['no aud', noAud],
      ['aud an array', { ...good, aud: ['chat'] }],
      ['iss a number', { ...good, iss: 1 }],
      ['exp a string', { ...good, exp: '1700000900' }],
      ['iat negative', { ...good, iat: -1 }],
      ['iat infinite', { ...good, iat: Number.POSITIVE_INFINITY }],
      ['nbf a string', { ...good, nbf: 'soon' }],
    ]
    for (const [what, payload] of bad) {
      assert.deepEqual(checkAccessClaims(payload), { ok: false, reason: 'malformed' }, what)
    }
  })
})
