import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody, LoginBody, Me, RefreshBody, RegisterBody, RegisterReply, TokenPair, newId } from '@chat/schemas'
import { hashRefreshToken, newRefreshToken } from '@chat/tokens'
import type { DeviceRecord } from '@chat/store'
import { dummyHash, hashPassword, verifyPassword } from '../auth/password.js'
import {
  InvalidCredentialsError, LoginRateLimitedError, RefreshInvalidError, RefreshReusedError, UsernameTakenError,
} from '../errors.js'
import type { HistoryDeps } from '../context.js'
import { publishRevocation } from '../auth/revocations.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 409: ErrorBody, 429: ErrorBody, 503: ErrorBody }

/** Register, login, refresh rotation with reuse detection, logout, me (SPEC section 3). */
export const authRoutes: FastifyPluginAsyncTypebox<HistoryDeps> = async function authRoutes (app, deps) {
  const { store, tokens, config } = deps

  async function issueTokens (device: DeviceRecord, username: string, refreshToken: string): Promise<TokenPair> {
    const accessToken = app.jwt.sign({ sub: device.userId, dev: device.id, ver: device.tokenVersion, typ: 'access', name: username })
    await tokens.setVersion(device.id, device.tokenVersion).catch((err: unknown) => app.log.warn({ err }, 'could not cache the token version'))
    return { accessToken, refreshToken, expiresIn: config.jwt.accessTtlSeconds, userId: device.userId, deviceId: device.deviceKey }
  }

  app.post('/auth/register', {
    schema: { tags: ['auth'], summary: 'Create an account', body: RegisterBody, response: { 201: RegisterReply, ...errors } },
  }, async (req, reply) => {
    const user = await store.users.createUser(req.body.username, await hashPassword(req.body.password))
    if (user === 'taken') throw new UsernameTakenError()
    reply.code(201)
    return { userId: user.id, username: user.username }
  })

  // Two counters, each seeing every attempt: per address (one client spraying many usernames) and per username,
  // case-folded as login matches it (many addresses guessing one password). Not `app.rateLimit()` twice: its
  // handlers share one per-request "already ran" flag, so only the first of two limiters on a route ever counted.
  const window = { max: config.loginRatePerMinute, timeWindow: 60_000 }
  const byAddress = app.createRateLimit({ ...window, keyGenerator: (req) => `login:ip:${req.ip}` })
  const byUsername = app.createRateLimit({
    ...window,
    keyGenerator: (req) => `login:user:${String((req.body as { username?: unknown } | undefined)?.username ?? '').toLowerCase()}`,
  })

  // With the counters' Redis away the limit lets logins through (`skipOnError` in app.ts: it is a brake, not a lock).
  async function loginRateLimit (req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const results = await Promise.all([byAddress(req), byUsername(req)])
    let retryAfterSeconds = 0
    for (const r of results) if (!r.isAllowed && r.isExceeded) retryAfterSeconds = Math.max(retryAfterSeconds, r.ttlInSeconds, 1)
    if (retryAfterSeconds === 0) return
    void reply.header('retry-after', retryAfterSeconds)
    throw new LoginRateLimitedError(String(retryAfterSeconds))
  }

  app.post('/auth/login', {
    preHandler: loginRateLimit,
    schema: { tags: ['auth'], summary: 'Log in on a device', body: LoginBody, response: { 200: TokenPair, ...errors } },
  }, async (req) => {
    const found = await store.users.findCredentials(req.body.username)
    // Verify against a dummy hash when the user is unknown: the answer takes the same time either way.
    const ok = await verifyPassword(req.body.password, found?.passwordHash ?? await dummyHash())
    if (found === undefined || !ok) throw new InvalidCredentialsError()
    const device = await store.users.upsertDevice(found.user.id, req.body.deviceId ?? newId())
    const refreshToken = newRefreshToken()
    await store.users.createRefreshFamily(device.id, hashRefreshToken(refreshToken), new Date(Date.now() + config.refreshTtlMs))
    return await issueTokens(device, found.user.username, refreshToken)
  })

  app.post('/auth/refresh', {
    schema: { tags: ['auth'], summary: 'Trade a refresh token for a new pair (the old one is spent)', body: RefreshBody, response: { 200: TokenPair, ...errors } },
  }, async (req) => {
    const next = newRefreshToken()
    const result = await store.users.rotateRefreshToken(hashRefreshToken(req.body.refreshToken), hashRefreshToken(next), new Date(Date.now() + config.refreshTtlMs))
    switch (result.status) {
      case 'invalid':
        throw new RefreshInvalidError()
      case 'reused':
        // RFC 9700 4.14.2: a spent token came back, so it leaked. The family is revoked and the device's
        // version bumped (by the store); tell every edge to close the device's sessions.
        app.log.warn({ deviceId: result.device.id, userId: result.device.userId }, 'refresh token reuse: device signed out')
        app.deviceVersions.revoked(result.device.id, result.device.tokenVersion)
        await publishRevocation(tokens, result.device.id, result.device.tokenVersion, app.log)
        throw new RefreshReusedError()
      case 'rotated': {
        const user = await store.users.getUser(result.device.userId)
        if (user === undefined) throw new RefreshInvalidError()
        return await issueTokens(result.device, user.username, next)
      }
    }
  })

  app.post('/auth/logout', {
    onRequest: app.authenticate,
    schema: { tags: ['auth'], summary: "Revoke this device's tokens and close its sessions", security: [{ bearer: [] }], response: { 204: { type: 'null' }, ...errors } },
  }, async (req, reply) => {
    const version = await store.users.revokeDevice(req.auth.dev)
    if (version > 0) app.deviceVersions.revoked(req.auth.dev, version)
    await publishRevocation(tokens, req.auth.dev, version, app.log)
    reply.code(204)
  })

  app.get('/me', {
    onRequest: app.authenticate,
    schema: { tags: ['auth'], summary: 'Who am I', security: [{ bearer: [] }], response: { 200: Me, ...errors } },
  }, async (req) => ({ userId: req.auth.sub, username: req.auth.name }))
}
