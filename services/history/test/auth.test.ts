import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import { RedisTokenStore } from '@chat/tokens/redis'
import { waitFor } from '@chat/testing'
import { Harness, decodeJwt, errorOf, testServers, type TestUser, type TokenPairBody } from './harness.js'

// SPEC section 3, the auth routes: register, login (and its rate limit), refresh rotation with reuse detection,
// logout, me. One database and one Redis prefix for the file; users are shared where the cases allow, since
// every register and login costs a scrypt hash.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history auth: PostgreSQL or Redis does not answer')
} else {
  describe('auth routes', () => {
    let h: Harness
    let alice: TestUser
    /** A second TokenStore on the same Redis prefix: another process (an edge) hearing revocations. */
    let edgeTokens: RedisTokenStore
    const revocations: Array<{ deviceId: string, version: number }> = []

    before(async () => {
      // A high login rate: this suite logs in many times from one address (the limit has its own suite below).
      h = await Harness.start(servers, { tag: 'auth', env: { LOGIN_RATE: '1000' } })
      alice = await h.user('alice')
      edgeTokens = await RedisTokenStore.connect({ url: servers.redisUrl, keyPrefix: h.prefix })
      edgeTokens.onRevoke((deviceId, version) => { revocations.push({ deviceId, version }) })
      await waitFor(async () => {
        const [, count] = await h.admin.pubsub('NUMSUB', `${h.prefix}revocations`) as [string, number]
        return Number(count) >= 1
      }, { timeoutMs: 5_000, what: 'the edge token store to subscribe' })
    })
    after(async () => {
      await edgeTokens?.close()
      await h?.close()
    })

    async function revocationOf (deviceId: string): Promise<{ deviceId: string, version: number }> {
      return await waitFor(() => revocations.find((r) => r.deviceId === deviceId), { timeoutMs: 5_000, what: `revocation of ${deviceId}` })
    }

    describe('register', () => {
      it('answers 201 {userId, username} and keeps the username as given', async () => {
        const res = await h.api.post('/api/auth/register', { body: { username: 'Bob.the-Builder_2', password: 'longenough' } })
        assert.equal(res.status, 201)
        const body = res.json as { userId: string, username: string }
        assert.deepEqual(Object.keys(body).sort(), ['userId', 'username'])
        assert.match(body.userId, UUID)
        assert.equal(body.username, 'Bob.the-Builder_2')
      })

      it('answers 409 CHAT_USERNAME_TAKEN for a taken name, case-insensitively', async () => {
        for (const username of ['alice', 'ALICE', 'Alice']) {
          const res = await h.api.post('/api/auth/register', { body: { username, password: 'password-2' } })
          assert.equal(res.status, 409, username)
          assert.deepEqual(errorOf(res), { statusCode: 409, code: 'CHAT_USERNAME_TAKEN', message: errorOf(res).message })
        }
      })

      it('accepts the boundaries: 3 and 32 characters of [A-Za-z0-9_.-], passwords of 8 and 256', async () => {
        const short = await h.api.post('/api/auth/register', { body: { username: 'a.b', password: '12345678' } })
        assert.equal(short.status, 201, short.text)
        const long = await h.api.post('/api/auth/register', { body: { username: 'x'.repeat(32), password: 'p'.repeat(256) } })
        assert.equal(long.status, 201, long.text)
      })

      it('refuses bad usernames and passwords with 400 CHAT_BAD_REQUEST', async () => {
        const bad: unknown[] = [
          { username: 'ab', password: 'password-1' },
          { username: 'x'.repeat(33), password: 'password-1' },
          { username: 'has space', password: 'password-1' },
          { username: 'slash/name', password: 'password-1' },
          { username: 'émile', password: 'password-1' },
          { username: 'tab\tname', password: 'password-1' },
          { username: '', password: 'password-1' },
          { username: 123, password: 'password-1' },
          { username: 'carol', password: 'short' },
          { username: 'carol', password: 'p'.repeat(257) },
          { username: 'carol', password: 12345678 },
          { username: 'carol' },
          { password: 'password-1' },
          { username: 'carol', password: 'password-1', admin: true },
          [],
          'carol',
          null,
        ]
        for (const body of bad) {
          const res = await h.api.post('/api/auth/register', { body })
          assert.equal(res.status, 400, JSON.stringify(body))
          assert.equal(errorOf(res).code, 'CHAT_BAD_REQUEST', JSON.stringify(body))
        }
        assert.equal(await h.store.users.getUserByName('carol'), undefined)
      })
    })

    describe('login', () => {
      it('answers 200 with an access token, a refresh token, expiresIn and userId', async () => {
        const res = await h.api.post('/api/auth/login', { body: { username: 'alice', password: 'password-1' } })
        assert.equal(res.status, 200)
        const pair = res.json as TokenPairBody
        assert.equal(pair.userId, alice.userId)
        assert.equal(pair.expiresIn, 900)
        assert.match(pair.refreshToken, /^[A-Za-z0-9_-]{43}$/)
        const { header, payload } = decodeJwt(pair.accessToken)
        assert.equal(header.alg, 'HS256')
        assert.equal(payload.typ, 'access')
        assert.equal(payload.sub, alice.userId)
        assert.equal(payload.name, 'alice')
        assert.equal(payload.iss, 'stomp-chat')
        assert.equal(payload.aud, 'stomp-chat')
        assert.match(String(payload.dev), UUID)
        assert.equal(Number(payload.exp) - Number(payload.iat), 900)
        // A login without deviceId is a new device.
        assert.notEqual(payload.dev, alice.dev)
        const me = await h.api.get('/api/me', { token: pair.accessToken })
        assert.equal(me.status, 200)
      })

      it('is case-insensitive on the username and keeps the device of a deviceId', async () => {
        const first = await h.login('ALICE', 'password-1', 'phone-1')
        const second = await h.login('alice', 'password-1', 'phone-1')
        assert.equal(first.userId, alice.userId)
        assert.equal(first.deviceId, 'phone-1')
        assert.equal(first.dev, second.dev)
        assert.equal(decodeJwt(first.accessToken).payload.name, 'alice')
      })

      it('answers 401 CHAT_INVALID_CREDENTIALS for a wrong password and for an unknown user alike', async () => {
        for (const body of [{ username: 'alice', password: 'password-2' }, { username: 'nobody', password: 'password-1' }]) {
          const res = await h.api.post('/api/auth/login', { body })
          assert.equal(res.status, 401)
          assert.equal(errorOf(res).code, 'CHAT_INVALID_CREDENTIALS')
        }
      })

      it('refuses malformed bodies with 400', async () => {
        for (const body of [{ username: 'alice' }, { username: 'alice', password: 'password-1', deviceId: 'bad device' }, { username: 'alice', password: 'password-1', extra: 1 }]) {
          const res = await h.api.post('/api/auth/login', { body })
          assert.equal(res.status, 400, JSON.stringify(body))
          assert.equal(errorOf(res).code, 'CHAT_BAD_REQUEST')
        }
      })
    })

    describe('me', () => {
      it('answers 200 {userId, username}', async () => {
        const res = await h.api.get('/api/me', { token: alice })
        assert.equal(res.status, 200)
        assert.deepEqual(res.json, { userId: alice.userId, username: 'alice' })
      })

      it('answers 401 CHAT_UNAUTHORIZED without a token', async () => {
        const res = await h.api.get('/api/me')
        assert.equal(res.status, 401)
        assert.equal(errorOf(res).code, 'CHAT_UNAUTHORIZED')
      })
    })

    describe('refresh', () => {
      it('rotates: a new pair, the old refresh token spent', async () => {
        const u = await h.login('alice', 'password-1', 'rotate-1')
        const res = await h.api.post('/api/auth/refresh', { body: { refreshToken: u.refreshToken } })
        assert.equal(res.status, 200)
        const pair = res.json as TokenPairBody
        assert.notEqual(pair.refreshToken, u.refreshToken)
        assert.equal(pair.userId, alice.userId)
        assert.equal(pair.deviceId, 'rotate-1')
        assert.equal(decodeJwt(pair.accessToken).payload.dev, u.dev)
        assert.equal((await h.api.get('/api/me', { token: pair.accessToken })).status, 200)
        // The rotated pair can itself be rotated.
        const next = await h.api.post('/api/auth/refresh', { body: { refreshToken: pair.refreshToken } })
        assert.equal(next.status, 200)
      })

      it('on reuse of a spent token: 401, the family revoked, the device signed out and its sessions told', async () => {
        const u = await h.login('alice', 'password-1', 'stolen-1')
        // 1. The legitimate client rotates.
        const legit = await h.api.post('/api/auth/refresh', { body: { refreshToken: u.refreshToken } })
        assert.equal(legit.status, 200)
        const rotated = legit.json as TokenPairBody
        assert.equal((await h.api.get('/api/me', { token: rotated.accessToken })).status, 200)
        // 2. The thief replays the spent token.
        const reuse = await h.api.post('/api/auth/refresh', { body: { refreshToken: u.refreshToken } })
        assert.equal(reuse.status, 401)
        assert.equal(errorOf(reuse).code, 'CHAT_REFRESH_REUSED')
        // 3. The whole family is gone: the token from the legitimate rotation fails too.
        const after = await h.api.post('/api/auth/refresh', { body: { refreshToken: rotated.refreshToken } })
        assert.equal(after.status, 401)
        assert.equal(errorOf(after).code, 'CHAT_REFRESH_INVALID')
        // 4. The device's version was bumped: its access tokens, old and new, are refused.
        for (const token of [u.accessToken, rotated.accessToken]) {
          const res = await h.api.get('/api/me', { token })
          assert.equal(res.status, 401)
          assert.equal(errorOf(res).code, 'CHAT_TOKEN_REVOKED')
        }
        const device = await h.store.users.getDevice(u.dev)
        assert.equal(device?.tokenVersion, u.ver + 1)
        // 5. Every edge heard it: live sessions of the device get closed.
        assert.deepEqual(await revocationOf(u.dev), { deviceId: u.dev, version: u.ver + 1 })
        // 6. Other devices of the same user are untouched.
        assert.equal((await h.api.get('/api/me', { token: alice })).status, 200)
      })

      it('of two refreshes racing with one token, exactly one answers 200', async () => {
        const u = await h.login('alice', 'password-1', 'race-1')
        const results = await Promise.all([1, 2].map(async () => await h.api.post('/api/auth/refresh', { body: { refreshToken: u.refreshToken } })))
        const statuses = results.map((r) => r.status).sort()
        assert.deepEqual(statuses, [200, 401])
        // No grace period (UserStore contract): the loser is a reuse, so the device is signed out.
        const loser = results.find((r) => r.status === 401)
        assert.equal(loser === undefined ? undefined : errorOf(loser).code, 'CHAT_REFRESH_REUSED')
      })

      it('answers 401 CHAT_REFRESH_INVALID for an unknown token and 400 for a malformed body', async () => {
        const unknown = await h.api.post('/api/auth/refresh', { body: { refreshToken: 'A'.repeat(43) } })
        assert.equal(unknown.status, 401)
        assert.equal(errorOf(unknown).code, 'CHAT_REFRESH_INVALID')
        // The access token is no refresh token.
        const wrongKind = await h.api.post('/api/auth/refresh', { body: { refreshToken: alice.accessToken.slice(0, 200) } })
        assert.equal(wrongKind.status, 401)
        for (const body of [{}, { refreshToken: '' }, { refreshToken: 'x'.repeat(201) }, { refreshToken: 5 }, { refreshToken: 'x', extra: 1 }]) {
          const res = await h.api.post('/api/auth/refresh', { body })
          assert.equal(res.status, 400, JSON.stringify(body))
          assert.equal(errorOf(res).code, 'CHAT_BAD_REQUEST')
        }
      })
    })

    describe('logout', () => {
      it('answers 204; then the access token gets 401 CHAT_TOKEN_REVOKED, the refresh token fails and edges are told', async () => {
        const u = await h.login('alice', 'password-1', 'laptop-1')
        const other = await h.login('alice', 'password-1', 'laptop-2')
        const res = await h.api.post('/api/auth/logout', { token: u })
        assert.equal(res.status, 204)
        assert.equal(res.text, '')
        const me = await h.api.get('/api/me', { token: u })
        assert.equal(me.status, 401)
        assert.equal(errorOf(me).code, 'CHAT_TOKEN_REVOKED')
        const refresh = await h.api.post('/api/auth/refresh', { body: { refreshToken: u.refreshToken } })
        assert.equal(refresh.status, 401)
        assert.equal(errorOf(refresh).code, 'CHAT_REFRESH_INVALID')
        assert.deepEqual(await revocationOf(u.dev), { deviceId: u.dev, version: u.ver + 1 })
        // Only that device: the user's other device stays signed in.
        assert.equal((await h.api.get('/api/me', { token: other })).status, 200)
        // A new login on the same device gets the new version and works.
        const again = await h.login('alice', 'password-1', 'laptop-1')
        assert.equal(again.dev, u.dev)
        assert.equal(again.ver, u.ver + 1)
        assert.equal((await h.api.get('/api/me', { token: again })).status, 200)
        assert.equal((await h.api.get('/api/me', { token: u })).status, 401)
      })

      it('answers 401 without a token, and a second logout with the revoked token is 401', async () => {
        assert.equal((await h.api.post('/api/auth/logout')).status, 401)
        const u = await h.login('alice', 'password-1', 'laptop-3')
        assert.equal((await h.api.post('/api/auth/logout', { token: u })).status, 204)
        const twice = await h.api.post('/api/auth/logout', { token: u })
        assert.equal(twice.status, 401)
        assert.equal(errorOf(twice).code, 'CHAT_TOKEN_REVOKED')
      })
    })
  })

  describe('login rate limit (LOGIN_RATE=3)', () => {
    let h: Harness

    before(async () => {
      h = await Harness.start(servers, { tag: 'ratelimit', env: { LOGIN_RATE: '3' } })
      const reg = await h.api.post('/api/auth/register', { body: { username: 'dave', password: 'password-1' } })
      assert.equal(reg.status, 201)
    })
    after(async () => { await h?.close() })

    it('per username: the 4th attempt in a minute gets 429 CHAT_RATE_LIMITED, whatever the address, even with the right password', async () => {
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        // Spelled differently each time: the bucket is the username case-folded.
        const res = await h.api.post('/api/auth/login', { body: { username: ['dave', 'DAVE', 'Dave'][i], password: 'wrong-password' }, remoteAddress: `10.0.0.${i + 1}` })
        statuses.push(res.status)
      }
      assert.deepEqual(statuses, [401, 401, 401])
      const limited = await h.api.post('/api/auth/login', { body: { username: 'dave', password: 'password-1' }, remoteAddress: '10.0.0.9' })
      assert.equal(limited.status, 429)
      assert.equal(errorOf(limited).code, 'CHAT_RATE_LIMITED')
      assert.ok(limited.headers['retry-after'] !== undefined, 'Retry-After is sent')
      // The counters live in Redis under this deployment's prefix (shared by every history instance).
      const keys = await h.admin.keys(`${h.prefix}ratelimit:*`)
      assert.ok(keys.length > 0, 'rate-limit keys under the prefix')
    })

    it('per address: the 4th attempt from one address gets 429, whatever the usernames; other addresses are not affected', async () => {
      const statuses: number[] = []
      for (const username of ['erin', 'frank', 'grace']) {
        statuses.push((await h.api.post('/api/auth/login', { body: { username, password: 'password-1' }, remoteAddress: '192.0.2.7' })).status)
      }
      assert.deepEqual(statuses, [401, 401, 401])
      const limited = await h.api.post('/api/auth/login', { body: { username: 'heidi', password: 'password-1' }, remoteAddress: '192.0.2.7' })
      assert.equal(limited.status, 429)
      assert.equal(errorOf(limited).code, 'CHAT_RATE_LIMITED')
      const elsewhere = await h.api.post('/api/auth/login', { body: { username: 'heidi', password: 'password-1' }, remoteAddress: '192.0.2.8' })
      assert.equal(elsewhere.status, 401)
    })

    it('fails open when the shared counters (Redis) cannot be reached: the credentials decide, never a 5xx', async () => {
      const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
      deadRedis.on('error', () => {})
      try {
        const { api } = await h.otherApp({ rateLimitRedis: deadRedis })
        // More attempts than the limit: none is limited (nothing counts them), each is answered on its merits.
        for (let i = 0; i < 5; i++) {
          const wrong = await api.post('/api/auth/login', { body: { username: 'dave', password: 'wrong-password' }, remoteAddress: '198.51.100.1' })
          assert.equal(wrong.status, 401, wrong.text)
        }
        const right = await api.post('/api/auth/login', { body: { username: 'dave', password: 'password-1' }, remoteAddress: '198.51.100.1' })
        assert.equal(right.status, 200, right.text)
      } finally {
        deadRedis.disconnect()
      }
    })

    it('does not limit the other auth routes', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await h.api.post('/api/auth/refresh', { body: { refreshToken: `unknown-${i}` }, remoteAddress: '192.0.2.7' })
        assert.equal(res.status, 401)
      }
    })
  })
}
