import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { createRequire } from 'node:module'
import type { FastifyValidationResult } from 'fastify/types/schema.js'
import { fastifyJwtOptions } from '@chat/config'
import { ChatErrorCode } from '@chat/schemas'
import { DeviceVersions, checkAccessClaims, type AccessClaims } from '@chat/tokens'
import { loggerOptions, opsPlugin } from '@chat/observability'
import { StoreUnavailableError } from '@chat/store'
import { webPlugin } from '@chat/web'
import type { HistoryDeps } from './context.js'
import { TokenExpiredError, TokenRevokedError, UnauthorizedError } from './errors.js'
import { CachedDeviceVersions } from './auth/cached-device-versions.js'
import { authRoutes } from './routes/auth.js'
import { roomRoutes } from './routes/rooms.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** Device token versions as `authenticate` checks them; routes that revoke a device tell it at once. */
    deviceVersions: CachedDeviceVersions
  }
  interface FastifyRequest {
    /** The verified access token's claims; set by `authenticate`. */
    auth: AccessClaims
  }
}

const BEARER = /^Bearer ([^ ]+)$/i

// ajv and ajv-formats are CommonJS whose default export NodeNext types as the namespace: load them plainly.
const require = createRequire(import.meta.url)
const Ajv = require('ajv') as typeof import('ajv').default
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default
type AjvInstance = InstanceType<typeof Ajv>

/**
 * JSON bodies are validated strictly: no type coercion (`"5"` is not a number) and no silently dropped
 * unknown fields (they are an error). Query strings and params are strings on the wire, so they are coerced.
 */
function strictValidators (): { body: AjvInstance, other: AjvInstance } {
  const common = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false } as const
  const body = new Ajv({ ...common, coerceTypes: false })
  const other = new Ajv({ ...common, coerceTypes: 'array' })
  addFormats(body)
  addFormats(other)
  return { body, other }
}

/** `{statusCode, code, message}` for every error; 5xx bodies never carry internals (R9). */
export function errorHandler (this: FastifyInstance, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 500
  if (err.validation !== undefined) {
    void reply.code(400).send({ statusCode: 400, code: ChatErrorCode.BAD_REQUEST, message: `${err.validationContext ?? 'request'} ${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? 'is invalid'}`.replace(/\s+/g, ' ').trim() })
    return
  }
  if (status < 500) {
    const code = err.code?.startsWith('CHAT_') === true ? err.code : fastifyCode(status, err.code)
    void reply.code(status).send({ statusCode: status, code, message: err.message })
    return
  }
  if (err instanceof StoreUnavailableError) {
    // The database is unreachable or the statement lost a race: nothing was committed, the client may retry.
    req.log.warn({ err }, 'database unavailable')
    void reply.code(503).send({ statusCode: 503, code: ChatErrorCode.UNAVAILABLE, message: 'a dependency is unavailable; retry later' })
    return
  }
  const code = err.code?.startsWith('CHAT_') === true ? err.code : ChatErrorCode.INTERNAL
  if (status === 503 && code !== ChatErrorCode.INTERNAL) {
    req.log.warn({ err }, 'dependency unavailable')
    void reply.code(503).send({ statusCode: 503, code, message: err.message })
    return
  }
  req.log.error({ err }, 'request failed')
  void reply.code(500).send({ statusCode: 500, code: ChatErrorCode.INTERNAL, message: 'internal error' })
}

function fastifyCode (status: number, code: string | undefined): string {
  if (status === 413) return ChatErrorCode.PAYLOAD_TOO_LARGE
  if (status === 429) return ChatErrorCode.RATE_LIMITED
  if (status === 404) return ChatErrorCode.NOT_FOUND
  if (status === 401) return ChatErrorCode.UNAUTHORIZED
  if (status === 403) return ChatErrorCode.FORBIDDEN
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return ChatErrorCode.BAD_REQUEST
  return ChatErrorCode.BAD_REQUEST
}

export function notFoundHandler (req: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ statusCode: 404, code: ChatErrorCode.NOT_FOUND, message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` })
}

/**
 * Errors the router raises before any route or hook runs (a URL that does not decode, a path parameter over the
 * router's length limit): a 400 in the API's error format. Both are bad ids or paths; the path is not echoed back.
 */
export function frameworkErrors (err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'malformed URL'
  void reply.code(400).send({ statusCode: 400, code: ChatErrorCode.BAD_REQUEST, message })
}

/**
 * The REST API under `/api` and its docs under `/docs` (OpenAPI at `/docs/json`). Encapsulated: its
 * validators, error handler and JWT decorators do not leak into a host app (the all-in-one process).
 */
export const historyRoutes: FastifyPluginAsync<HistoryDeps> = async function historyRoutes (app, deps) {
  const validators = strictValidators()
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.other).compile(schema) as unknown as FastifyValidationResult)
  app.setErrorHandler(errorHandler)

  await app.register(fastifyJwt, fastifyJwtOptions(deps.config.jwt))
  await app.register(rateLimit, {
    global: false,
    // Redis away: let logins through rather than lock everyone out (the limit is a brake, not a lock).
    skipOnError: true,
    ...(deps.rateLimitRedis === undefined ? {} : { redis: deps.rateLimitRedis, nameSpace: `${deps.config.redisPrefix}ratelimit:` }),
    errorResponseBuilder: (_req, context) => ({ statusCode: 429, code: ChatErrorCode.RATE_LIMITED, message: `too many attempts; retry in ${context.after}` }),
  })
  await app.register(swagger, {
    openapi: {
      info: { title: 'stomp-chat REST API', version: '0.1.0', description: 'Auth, rooms, scroll-back, unread counts and presence. Real-time messages flow over STOMP at /ws (docs/protocol.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    hideUntagged: true,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  const versions = new CachedDeviceVersions({
    versions: new DeviceVersions({ tokens: deps.tokens, loadVersion: async (id) => (await deps.store.users.getDevice(id))?.tokenVersion, log: deps.log }),
    tokens: deps.tokens,
    ttlMs: deps.config.accessCacheMs,
  })
  app.addHook('onClose', async () => { versions.close() })
  app.decorate('deviceVersions', versions)
  app.decorateRequest('auth', null as unknown as AccessClaims)
  app.decorate('authenticate', async function authenticate (req: FastifyRequest): Promise<void> {
    // `Bearer <token>`, exactly two parts, as @fastify/jwt reads it; verified with the plugin's verifier directly
    // (synchronous: the key is static), which skips `req.jwtVerify()`'s per-request option merging and waterfall.
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1]
    if (token === undefined) throw new UnauthorizedError()
    let payload: unknown
    try {
      payload = app.jwt.verify(token)
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      if (code.includes('EXPIRED')) throw new TokenExpiredError()
      throw new UnauthorizedError()
    }
    const checked = checkAccessClaims(payload)
    if (!checked.ok) throw new UnauthorizedError()
    const current = await versions.current(checked.claims.dev, checked.claims.ver)
    if (current === undefined || current !== checked.claims.ver) throw new TokenRevokedError()
    req.auth = checked.claims
  })

  await app.register(async (api) => {
    api.setNotFoundHandler(notFoundHandler)
    await api.register(authRoutes, deps)
    await api.register(roomRoutes, deps)
  }, { prefix: '/api' })
}

/**
 * The history service as its own HTTP server: `/api`, `/docs`, `/metrics`, `/healthz`, `/readyz`, and the web chat
 * page at `/` (so a split deployment behind a load balancer, which sends `/ws` to the edges and the rest here, serves
 * the page too). Not listening yet.
 */
export async function buildHistoryApp (deps: HistoryDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.logLevel, 'history'),
    bodyLimit: 64 * 1024,
    trustProxy: false,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
  })
  // Outside /api too (`/metrics`, `/readyz`, unknown paths): the same `{statusCode, code, message}` bodies.
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  await app.register(opsPlugin, {
    registry: deps.registry,
    readiness: { database: async () => await deps.store.ping(), bus: () => deps.bus.isConnected() },
  })
  await app.register(historyRoutes, deps)
  await app.register(webPlugin)
  return app
}
