import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { RedisTokenStore } from '@chat/tokens/redis'
import { waitFor } from '@chat/testing'
import { Api, Harness, errorOf, testServers, type Reply, type TestUser } from './harness.js'

// Every REST route but register/login/refresh takes `Authorization: Bearer <accessToken>`. What is refused, and
// with which code (SPEC section 3: "An access token of a revoked device or an older token version is refused
// (401) by REST as by STOMP"). Forged tokens are signed by hand here, so each case changes one thing only.

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history access tokens: PostgreSQL or Redis does not answer')
} else {
  describe('access tokens', () => {
    let h: Harness
    let alice: TestUser

    before(async () => {
      h = await Harness.start(servers, { tag: 'access', env: { LOGIN_RATE: '1000' } })
      alice = await h.user('alice')
    })
    after(async () => { await h?.close() })

    function assertRefused (res: Reply, code: string, what: string): void {
      assert.equal(res.status, 401, `${what}: ${res.text}`)
      assert.equal(errorOf(res).code, code, what)
    }

    /** A route of each plugin: auth (`/me`) and rooms (`/rooms`, its own onRequest hook). */
    async function bothRoutes (token: string | undefined, headers: Record<string, string> = {}): Promise<Reply[]> {
      const o = { headers, ...(token === undefined ? {} : { token }) }
      return [await h.api.get('/api/me', o), await h.api.get('/api/rooms', o)]
    }

    it('accepts the token as issued, and a hand-signed copy of the same claims (the forging helper is right)', async () => {
      for (const res of await bothRoutes(alice.accessToken)) assert.equal(res.status, 200, res.text)
      for (const res of await bothRoutes(h.sign(h.claims(alice)))) assert.equal(res.status, 200, res.text)
    })

    it('refuses a missing or malformed Authorization header with CHAT_UNAUTHORIZED', async () => {
      for (const res of await bothRoutes(undefined)) assertRefused(res, 'CHAT_UNAUTHORIZED', 'no header')
      const cases: Record<string, string> = {
        basic: `Basic ${Buffer.from('alice:password-1').toString('base64')}`,
        'bearer, no token': 'Bearer ',
        'not a JWT': 'Bearer not-a-jwt',
        'two parts': 'Bearer aGVsbG8.d29ybGQ',
        'token twice': `Bearer ${alice.accessToken} ${alice.accessToken}`,
      }
      for (const [what, value] of Object.entries(cases)) {
        for (const res of await bothRoutes(undefined, { authorization: value })) assertRefused(res, 'CHAT_UNAUTHORIZED', what)
      }
    })

    it('refuses an expired token with CHAT_TOKEN_EXPIRED (beyond the 5 s clock tolerance)', async () => {
      const now = Math.floor(Date.now() / 1000)
      const expired = h.sign(h.claims(alice, { iat: now - 1000, exp: now - 60 }))
      for (const res of await bothRoutes(expired)) assertRefused(res, 'CHAT_TOKEN_EXPIRED', 'expired')
      // Within the tolerance it is still accepted.
      const justNow = h.sign(h.claims(alice, { iat: now - 1000, exp: now - 1 }))
      assert.equal((await h.api.get('/api/me', { token: justNow })).status, 200)
    })

    it('refuses a token not valid yet (nbf in the future)', async () => {
      const now = Math.floor(Date.now() / 1000)
      for (const res of await bothRoutes(h.sign(h.claims(alice, { nbf: now + 600 })))) assertRefused(res, 'CHAT_UNAUTHORIZED', 'nbf')
    })

    it('refuses a wrong signature, alg none, another HMAC algorithm and a tampered payload', async () => {
      const cases: Record<string, string> = {
        'another secret': h.sign(h.claims(alice), { secret: 'another-secret-of-at-least-32-bytes!!' }),
        'alg none': h.sign(h.claims(alice), { header: { alg: 'none', typ: 'JWT' } }),
        'alg none, upper case': h.sign(h.claims(alice), { header: { alg: 'NONE', typ: 'JWT' } }),
        HS512: h.sign(h.claims(alice), { header: { alg: 'HS512', typ: 'JWT' } }),
        HS384: h.sign(h.claims(alice), { header: { alg: 'HS384', typ: 'JWT' } }),
        'signature stripped': alice.accessToken.split('.').slice(0, 2).join('.') + '.',
      }
      // Tampered: another user's id under alice's signature.
      const [header, , signature] = alice.accessToken.split('.')
      const payload = Buffer.from(JSON.stringify(h.claims(alice, { sub: '01900000-0000-7000-8000-000000000000' }))).toString('base64url')
      cases.tampered = `${header ?? ''}.${payload}.${signature ?? ''}`
      for (const [what, token] of Object.entries(cases)) {
        for (const res of await bothRoutes(token)) assertRefused(res, 'CHAT_UNAUTHORIZED', what)
      }
    })

    it('refuses a wrong issuer or audience, and missing claims', async () => {
      const noExp = h.claims(alice)
      delete noExp.exp
      const noVer = h.claims(alice)
      delete noVer.ver
      const noDev = h.claims(alice)
      delete noDev.dev
      const cases: Record<string, Record<string, unknown>> = {
        'wrong iss': h.claims(alice, { iss: 'someone-else' }),
        'wrong aud': h.claims(alice, { aud: 'another-service' }),
        'aud as a list without ours': h.claims(alice, { aud: ['another-service'] }),
        'no exp': noExp,
        'no ver': noVer,
        'no dev': noDev,
        'ver 0': h.claims(alice, { ver: 0 }),
        'ver as a string': h.claims(alice, { ver: '1' }),
        'sub not a uuid': h.claims(alice, { sub: "' OR 1=1 --" }),
        'empty name': h.claims(alice, { name: '' }),
      }
      for (const [what, claims] of Object.entries(cases)) {
        for (const res of await bothRoutes(h.sign(claims))) assertRefused(res, 'CHAT_UNAUTHORIZED', what)
      }
    })

    it('refuses a refresh token used as an access token', async () => {
      // The refresh token itself (opaque), and a JWT claiming typ refresh with a valid signature.
      for (const res of await bothRoutes(alice.refreshToken)) assertRefused(res, 'CHAT_UNAUTHORIZED', 'opaque refresh token')
      for (const res of await bothRoutes(h.sign(h.claims(alice, { typ: 'refresh' })))) assertRefused(res, 'CHAT_UNAUTHORIZED', 'typ refresh')
    })

    it('refuses a token of an older device version with CHAT_TOKEN_REVOKED, and accepts the current one', async () => {
      // 1. Version 1 on device "tablet"; 2. logout bumps it to 2; 3. a new login on the device issues version 2.
      const v1 = await h.login('alice', 'password-1', 'tablet')
      assert.equal((await h.api.post('/api/auth/logout', { token: v1 })).status, 204)
      const v2 = await h.login('alice', 'password-1', 'tablet')
      assert.equal(v2.dev, v1.dev)
      assert.equal(v2.ver, v1.ver + 1)
      for (const res of await bothRoutes(v1.accessToken)) assertRefused(res, 'CHAT_TOKEN_REVOKED', 'older version')
      // Also a well-signed token naming the old version (as an edge cached it).
      for (const res of await bothRoutes(h.sign(h.claims(v2, { ver: v1.ver })))) assertRefused(res, 'CHAT_TOKEN_REVOKED', 'forged old version')
      for (const res of await bothRoutes(v2.accessToken)) assert.equal(res.status, 200)
    })

    it('refuses a token of a device that does not exist, or naming a version the device never had', async () => {
      const ghost = h.sign(h.claims(alice, { dev: '01900000-0000-7000-8000-0000000000aa' }))
      for (const res of await bothRoutes(ghost)) assertRefused(res, 'CHAT_TOKEN_REVOKED', 'unknown device')
      const future = h.sign(h.claims(alice, { ver: alice.ver + 5 }))
      for (const res of await bothRoutes(future)) assertRefused(res, 'CHAT_TOKEN_REVOKED', 'future version')
    })

    it('reads the version from the database when Redis lost it, and still refuses a revoked device', async () => {
      const u = await h.login('alice', 'password-1', 'desktop')
      const key = `${h.prefix}tokens:ver:${u.dev}`
      assert.equal(await h.admin.get(key), String(u.ver), 'the version is cached in Redis at login')
      // 1. Redis forgets (eviction, flush): the database answers and the cache is filled again.
      await h.admin.del(key)
      assert.equal((await h.api.get('/api/me', { token: u })).status, 200)
      assert.equal(await h.admin.get(key), String(u.ver))
      // 2. The device is revoked in the database behind Redis's back (no broadcast either): the version this instance
      // cached a moment ago serves for at most ACCESS_CACHE_MS, then the database answers and the token is refused.
      await h.store.users.revokeDevice(u.dev)
      await h.admin.del(key)
      const revokedAt = Date.now()
      await waitFor(async () => (await h.api.get('/api/me', { token: u })).status === 401, { timeoutMs: 5_000, what: 'the revocation to be seen' })
      assert.ok(Date.now() - revokedAt <= h.config.accessCacheMs + 1_000, `seen after ${Date.now() - revokedAt} ms`)
      for (const res of await bothRoutes(u.accessToken)) assertRefused(res, 'CHAT_TOKEN_REVOKED', 'revoked, Redis empty')
    })

    describe('the in-process version cache (ACCESS_CACHE_MS)', () => {
      /** Another history instance: its own app, its own token store (its own Redis subscriber). */
      async function otherInstance (cacheMs: number): Promise<{ api: Api, tokens: RedisTokenStore }> {
        const tokens = await RedisTokenStore.connect({ url: h.servers.redisUrl, keyPrefix: h.prefix })
        const { api } = await h.otherApp({ tokens, env: { ACCESS_CACHE_MS: String(cacheMs) } })
        h.onClose(() => tokens.close())
        await waitFor(async () => {
          const [, count] = await h.admin.pubsub('NUMSUB', `${h.prefix}revocations`) as [string, number]
          return Number(count) >= 2
        }, { timeoutMs: 5_000, what: 'the other instance to subscribe to revocations' })
        return { api, tokens }
      }

      it('a logout through another instance is applied here by the broadcast, long before the cache would expire', async () => {
        const b = await otherInstance(60_000)
        const u = await h.login('alice', 'password-1', 'roaming-1')
        assert.equal((await b.api.get('/api/me', { token: u })).status, 200, 'B caches the version')
        assert.equal((await h.api.post('/api/auth/logout', { token: u })).status, 204)
        await waitFor(async () => (await b.api.get('/api/me', { token: u })).status === 401, { timeoutMs: 3_000, what: 'B to hear the revocation' })
        assertRefused(await b.api.get('/api/rooms', { token: u }), 'CHAT_TOKEN_REVOKED', 'B after the broadcast')
        // A new login on the same device (a newer version than B cached) is accepted by B at once.
        const again = await h.login('alice', 'password-1', 'roaming-1')
        assert.equal((await b.api.get('/api/me', { token: again })).status, 200)
      })

      it('a lost broadcast is bounded by ACCESS_CACHE_MS: a stale version serves until then, never after', async () => {
        const cacheMs = 3_000
        const b = await otherInstance(cacheMs)
        const u = await h.login('alice', 'password-1', 'roaming-2')
        assert.equal((await b.api.get('/api/me', { token: u })).status, 200)
        const cachedAt = Date.now()
        // The version goes up in the database and in Redis, but nobody hears of it (setVersion does not broadcast).
        const version = await h.store.users.revokeDevice(u.dev)
        await h.tokens.setVersion(u.dev, version)
        assert.equal((await h.api.get('/api/me', { token: u })).status, 401, 'an instance that never cached it refuses at once')
        assert.equal((await b.api.get('/api/me', { token: u })).status, 200, 'B serves its cached version (the staleness this bounds)')
        await waitFor(async () => (await b.api.get('/api/me', { token: u })).status === 401, { timeoutMs: cacheMs + 3_000, what: 'B to read the version again' })
        assert.ok(Date.now() - cachedAt <= cacheMs + 1_000, `B refused ${Date.now() - cachedAt} ms after caching`)
      })

      it('ACCESS_CACHE_MS=0 asks Redis or the database on every request', async () => {
        const { api } = await h.otherApp({ env: { ACCESS_CACHE_MS: '0' } })
        const u = await h.login('alice', 'password-1', 'roaming-3')
        assert.equal((await api.get('/api/me', { token: u })).status, 200)
        const version = await h.store.users.revokeDevice(u.dev)
        await h.tokens.setVersion(u.dev, version)
        assertRefused(await api.get('/api/me', { token: u }), 'CHAT_TOKEN_REVOKED', 'no cache')
      })
    })

    it('puts the 401 check before validation and before any database work of the route', async () => {
      // An invalid body with no token: the answer is about the token, not the body.
      const res = await h.api.post('/api/rooms', { body: { name: 5 } })
      assertRefused(res, 'CHAT_UNAUTHORIZED', 'invalid body without a token')
      const roomId = await h.room(alice, 'mine')
      const forged = h.sign(h.claims(alice, { aud: 'x' }))
      assertRefused(await h.api.get(`/api/rooms/${roomId}/messages`, { token: forged }), 'CHAT_UNAUTHORIZED', 'messages')
      assertRefused(await h.api.post(`/api/rooms/${roomId}/messages`, { token: forged, body: { content: 'hi' } }), 'CHAT_UNAUTHORIZED', 'send')
    })
  })
}
