import { createHmac, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import type { Registry } from 'prom-client'
import { InProcessMessageBus, type MessageBus } from '@chat/bus'
import { startDispatcher, type Dispatcher } from '@chat/dispatcher'
import { createMetricsRegistry, silentLogger } from '@chat/observability'
import { RedisPresenceStore } from '@chat/presence/redis'
import { createChatStore, type ChatDatabase, type ChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { RedisTokenStore } from '@chat/tokens/redis'
import { freshDatabase, serverUrl, uniqueName, waitFor, type Disposable } from '@chat/testing'
import { buildHistoryApp, loadHistoryConfig, type HistoryConfig, type HistoryDeps } from '../src/index.js'

/** The real servers every history test file runs on; undefined (the file skips) when one does not answer. */
export interface Servers {
  readonly databaseUrl: string
  readonly redisUrl: string
}

export async function testServers (): Promise<Servers | undefined> {
  const databaseUrl = await serverUrl('DATABASE_URL')
  const redisUrl = await serverUrl('REDIS_URL')
  if (databaseUrl === undefined || redisUrl === undefined) return undefined
  return { databaseUrl, redisUrl }
}

/** Every key on the server matching the glob `pattern` (SCAN, never KEYS). */
export async function scanKeys (admin: Redis, pattern: string): Promise<string[]> {
  const keys = new Set<string>()
  let cursor = '0'
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    for (const k of batch) keys.add(k)
    cursor = next
  } while (cursor !== '0')
  return [...keys].sort()
}

export const DISPATCH_OPTIONS = { prefetch: 256, batchMax: 500, maxAttempts: 5, backoffMaxMs: 1_000 } as const

export interface HarnessOptions {
  /** Names the database (`t_<tag>_…`) and the Redis prefix. */
  readonly tag: string
  /** Extra config variables (LOGIN_RATE, PRESENCE_TTL_MS, …). */
  readonly env?: Readonly<Record<string, string>>
  /** The bus the app publishes on. @default a new InProcessMessageBus, closed by the harness */
  readonly bus?: MessageBus
  /** Run a dispatcher in this process on `bus` (or `dispatcherBus`), so sent messages get stored. @default false */
  readonly dispatcher?: boolean
  /** The bus the dispatcher consumes from, when it is not the app's (two connections to one RabbitMQ vhost). */
  readonly dispatcherBus?: MessageBus
}

/**
 * One test file's world: a fresh PostgreSQL database (migrated, dropped at the end), a Redis key prefix of its
 * own (keys removed at the end), real Redis token and presence stores, a bus, optionally a dispatcher, and the
 * history app built over them (not listening: tests use `inject`).
 */
export class Harness {
  readonly servers: Servers
  readonly prefix: string
  readonly secret: string
  readonly config: HistoryConfig
  readonly database: ChatDatabase
  readonly store: ChatStore
  readonly admin: Redis
  readonly rateLimitRedis: Redis
  readonly tokens: RedisTokenStore
  readonly presence: RedisPresenceStore
  readonly bus: MessageBus
  readonly registry: Registry
  readonly app: FastifyInstance
  readonly api: Api
  dispatcher: Dispatcher | undefined
  readonly #owned: Array<() => Promise<unknown>> = []

  private constructor (init: {
    servers: Servers,
    prefix: string,
    secret: string,
    config: HistoryConfig,
    database: ChatDatabase,
    store: ChatStore,
    admin: Redis,
    rateLimitRedis: Redis,
    tokens: RedisTokenStore,
    presence: RedisPresenceStore,
    bus: MessageBus,
    registry: Registry,
    app: FastifyInstance,
  }) {
    this.servers = init.servers
    this.prefix = init.prefix
    this.secret = init.secret
    this.config = init.config
    this.database = init.database
    this.store = init.store
    this.admin = init.admin
    this.rateLimitRedis = init.rateLimitRedis
    this.tokens = init.tokens
    this.presence = init.presence
    this.bus = init.bus
    this.registry = init.registry
    this.app = init.app
    this.api = new Api(init.app)
  }

  static async start (servers: Servers, options: HarnessOptions): Promise<Harness> {
    const cleanups: Array<() => Promise<unknown>> = []
    try {
      const fresh: Disposable = await freshDatabase(servers.databaseUrl, options.tag)
      cleanups.push(() => fresh.drop())
      const database = await openPostgresDatabase({ url: fresh.url, applicationName: `test-${options.tag}`, connectTimeoutMs: 5_000 })
      await database.migrate()
      const store = createChatStore(database)
      cleanups.push(() => store.close())

      const prefix = `${uniqueName(`t_history_${options.tag}`)}:`
      const admin = new Redis(servers.redisUrl)
      cleanups.push(async () => {
        const keys = await scanKeys(admin, `${prefix}*`)
        if (keys.length > 0) await admin.unlink(...keys)
        admin.disconnect()
      })
      const rateLimitRedis = new Redis(servers.redisUrl, { maxRetriesPerRequest: 1 })
      cleanups.push(async () => { rateLimitRedis.disconnect() })

      const secret = randomBytes(32).toString('base64url')
      const config = loadHistoryConfig({
        JWT_SECRET: secret,
        LOG_LEVEL: 'silent',
        REDIS_PREFIX: prefix,
        DATABASE_URL: fresh.url,
        REDIS_URL: servers.redisUrl,
        ...options.env,
      }, { requireServers: false })

      const tokens = await RedisTokenStore.connect({ url: servers.redisUrl, keyPrefix: prefix })
      cleanups.push(() => tokens.close())
      const presence = await RedisPresenceStore.connect({ url: servers.redisUrl, keyPrefix: prefix, ttlMs: config.presenceTtlMs })
      cleanups.push(() => presence.close())

      const bus = options.bus ?? new InProcessMessageBus()
      if (options.bus === undefined) cleanups.push(() => bus.close())
      const registry = createMetricsRegistry({ defaultMetrics: true })
      const app = await buildHistoryApp({ config, bus, store, presence, tokens, log: silentLogger, registry, rateLimitRedis })
      cleanups.push(() => app.close())
      await app.ready()

      const h = new Harness({ servers, prefix, secret, config, database, store, admin, rateLimitRedis, tokens, presence, bus, registry, app })
      h.#owned.push(...cleanups)
      if (options.dispatcher === true) {
        const dispatcher = await startDispatcher({
          bus: options.dispatcherBus ?? bus, store, log: silentLogger, registry: createMetricsRegistry({ defaultMetrics: false }), options: DISPATCH_OPTIONS,
        })
        h.dispatcher = dispatcher
        h.#owned.push(() => dispatcher.close())
      }
      return h
    } catch (err) {
      for (const c of cleanups.reverse()) await c().catch(() => {})
      throw err
    }
  }

  /** Runs `close` when the harness closes (before what was created earlier). */
  onClose (close: () => Promise<unknown>): void {
    this.#owned.push(close)
  }

  /** Closes in reverse order of creation: dispatcher, app, bus, stores, Redis keys, the database. */
  async close (): Promise<void> {
    for (const c of this.#owned.reverse()) await c().catch(() => {})
    this.#owned.length = 0
  }

  /**
   * Another app over this harness's adapters with some replaced (a failing bus, a store on a dead server, another
   * config); closed with the harness.
   */
  async otherApp (overrides: Partial<HistoryDeps> & { env?: Readonly<Record<string, string>> } = {}): Promise<{ app: FastifyInstance, api: Api }> {
    const { env, ...deps } = overrides
    const config = env === undefined
      ? this.config
      : loadHistoryConfig({ JWT_SECRET: this.secret, LOG_LEVEL: 'silent', REDIS_PREFIX: this.prefix, ...env }, { requireServers: false })
    const app = await buildHistoryApp({
      config,
      bus: this.bus,
      store: this.store,
      presence: this.presence,
      tokens: this.tokens,
      log: silentLogger,
      registry: createMetricsRegistry({ defaultMetrics: false }),
      rateLimitRedis: this.rateLimitRedis,
      ...deps,
    })
    await app.ready()
    this.#owned.push(() => app.close())
    return { app, api: new Api(app) }
  }

  /** Registers (201) and logs in (200): two scrypt hashes, so tests share users where they can. */
  async user (username: string, password = 'password-1', deviceId?: string): Promise<TestUser> {
    const reg = await this.api.post('/api/auth/register', { body: { username, password } })
    if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${reg.text}`)
    return await this.login(username, password, deviceId)
  }

  async login (username: string, password = 'password-1', deviceId?: string): Promise<TestUser> {
    const res = await this.api.post('/api/auth/login', { body: { username, password, ...(deviceId === undefined ? {} : { deviceId }) } })
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`)
    const pair = res.json as TokenPairBody
    const claims = decodeJwt(pair.accessToken).payload
    return { username, password, ...pair, dev: String(claims.dev), ver: Number(claims.ver) }
  }

  /** Creates a room as `owner` (201) and returns its id. */
  async room (owner: TestUser, name = 'room', visibility: 'public' | 'private' = 'public'): Promise<string> {
    const res = await this.api.post('/api/rooms', { token: owner, body: { name, visibility } })
    if (res.status !== 201) throw new Error(`create room: ${res.status} ${res.text}`)
    return (res.json as { id: string }).id
  }

  /** Waits until the room's counter reaches `seq` (the dispatcher stored that many messages). */
  async storedUpTo (roomId: string, seq: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(async () => ((await this.store.messages.lastSeq(roomId)) ?? 0) >= seq, { timeoutMs, what: `room ${roomId} to reach seq ${seq}` })
  }

  /** A JWT signed with this app's secret (or `secret`): for forged and tampered tokens. */
  sign (payload: Record<string, unknown>, options: { header?: Record<string, unknown>, secret?: string } = {}): string {
    return signJwt(payload, options.secret ?? this.secret, options.header)
  }

  /** Claims of a valid access token for `user`, as the app would issue them now. */
  claims (user: TestUser, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000)
    return {
      sub: user.userId,
      dev: user.dev,
      ver: user.ver,
      typ: 'access',
      name: user.username,
      iss: this.config.jwt.issuer,
      aud: this.config.jwt.audience,
      iat: now,
      exp: now + 600,
      ...overrides,
    }
  }
}

export interface TokenPairBody {
  readonly accessToken: string
  readonly refreshToken: string
  readonly expiresIn: number
  readonly userId: string
  readonly deviceId: string
}

export interface TestUser extends TokenPairBody {
  readonly username: string
  readonly password: string
  /** The device's id (UUID) from the access token's `dev`. */
  readonly dev: string
  readonly ver: number
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly text: string
  /** The parsed body, or undefined when it is empty or not JSON. */
  readonly json: unknown
}

export interface CallOptions {
  /** A JSON body (serialized here). */
  readonly body?: unknown
  /** A raw body, sent as is with `contentType`. */
  readonly payload?: string | Buffer
  readonly contentType?: string
  /** A user (its access token) or a raw token string. */
  readonly token?: TestUser | string
  readonly headers?: Record<string, string>
  readonly remoteAddress?: string
  readonly query?: Record<string, string>
}

/** `app.inject` with JSON in and out. */
export class Api {
  readonly #app: FastifyInstance

  constructor (app: FastifyInstance) {
    this.#app = app
  }

  async call (method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, o: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers }
    if (o.token !== undefined) headers.authorization = `Bearer ${typeof o.token === 'string' ? o.token : o.token.accessToken}`
    let payload: string | Buffer | undefined
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body)
      headers['content-type'] = o.contentType ?? 'application/json'
    } else if (o.payload !== undefined) {
      payload = o.payload
      if (o.contentType !== undefined) headers['content-type'] = o.contentType
    }
    const res = await this.#app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
      ...(o.query === undefined ? {} : { query: o.query }),
      ...(o.remoteAddress === undefined ? {} : { remoteAddress: o.remoteAddress }),
    })
    let json: unknown
    try {
      json = res.body === '' ? undefined : JSON.parse(res.body)
    } catch {
      json = undefined
    }
    return { status: res.statusCode, headers: res.headers, text: res.body, json }
  }

  async get (url: string, o: CallOptions = {}): Promise<Reply> {
    return await this.call('GET', url, o)
  }

  async post (url: string, o: CallOptions = {}): Promise<Reply> {
    return await this.call('POST', url, o)
  }
}

/**
 * One request over a real socket, the path sent byte for byte as given (no URL normalisation: `inject` and fetch
 * resolve `..` and `%2e%2e` before the server sees them; an attacker's raw request does not).
 */
export async function rawRequest (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = text === '' ? undefined : JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Reply['headers'], text, json })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

function b64url (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** A compact JWS; `header.alg` decides the HMAC (HS256/384/512) or, for `none`, no signature at all. */
export function signJwt (payload: Record<string, unknown>, secret: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const alg = String(header.alg)
  const input = `${b64url(header)}.${b64url(payload)}`
  if (alg.toLowerCase() === 'none') return `${input}.`
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg]
  if (hash === undefined) throw new Error(`signJwt: unsupported alg ${alg}`)
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

export function decodeJwt (token: string): { header: Record<string, unknown>, payload: Record<string, unknown> } {
  const [h, p] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  }
}

/** The `{statusCode, code, message}` error body, asserted exactly in shape. */
export function errorOf (reply: Reply): { statusCode: number, code: string, message: string } {
  const body = reply.json as { statusCode?: unknown, code?: unknown, message?: unknown } | undefined
  if (body === undefined || typeof body !== 'object' || body === null) throw new Error(`not a JSON error body: ${reply.status} ${reply.text}`)
  const keys = Object.keys(body).sort().join(',')
  if (keys !== 'code,message,statusCode') throw new Error(`error body has keys ${keys}: ${reply.text}`)
  return body as { statusCode: number, code: string, message: string }
}
