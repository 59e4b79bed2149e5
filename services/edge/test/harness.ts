import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createSigner } from 'fast-jwt'
import { Redis } from 'ioredis'
import { InProcessMessageBus, type MessageBus } from '@chat/bus'
import { createChatStore, type ChatDatabase, type ChatStore } from '@chat/store'
import { MemoryPresenceStore, type PresenceStore } from '@chat/presence'
import { MemoryTokenStore, type TokenStore } from '@chat/tokens'
import type { SendLimiter } from '@chat/limits'
import { createMetricsRegistry, silentLogger } from '@chat/observability'
import { startDispatcher, type Dispatcher } from '@chat/dispatcher'
import { freshDatabase, freshVhost, serverUrl, uniqueName, type Disposable } from '@chat/testing'
import { buildEdgeApp, createEdgeHub, loadEdgeConfig, type EdgeConfig, type EdgeHub } from '../src/index.js'

/**
 * Which adapters the stack runs on: `servers` (PostgreSQL, RabbitMQ, Redis; the default) or `embedded` (PGlite,
 * the in-process bus, memory presence, tokens and limits), so the integration suite also runs where no server is.
 * `npm test` runs the suite once on each.
 */
export const STACK_KIND: 'servers' | 'embedded' = process.env.EDGE_STACK === 'embedded' ? 'embedded' : 'servers'

export interface StackUser {
  readonly userId: string
  readonly username: string
  readonly deviceId: string
  readonly version: number
  readonly token: string
}

/** Claims an access token carries (SPEC section 3). */
export interface Claims {
  sub: string
  dev: string
  ver: number
  typ: string
  name: string
  [k: string]: unknown
}

/**
 * The edge over the real servers (PostgreSQL, RabbitMQ, Redis), each test file in its own database,
 * vhost and key prefix, with an in-process dispatcher storing what is sent. Users and rooms are made
 * straight through the store and tokens signed here, so tests control every claim.
 */
export class EdgeStack {
  readonly config: EdgeConfig
  readonly store: ChatStore
  readonly bus: MessageBus
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  readonly hub: EdgeHub
  readonly app: FastifyInstance
  readonly dispatcher: Dispatcher
  readonly secret: string
  readonly redisPrefix: string
  readonly #disposables: Disposable[]
  #url = ''

  private constructor (parts: {
    config: EdgeConfig,
    store: ChatStore,
    bus: MessageBus,
    presence: PresenceStore,
    tokens: TokenStore,
    hub: EdgeHub,
    app: FastifyInstance,
    dispatcher: Dispatcher,
    secret: string,
    redisPrefix: string,
    disposables: Disposable[]
  }) {
    this.config = parts.config
    this.store = parts.store
    this.bus = parts.bus
    this.presence = parts.presence
    this.tokens = parts.tokens
    this.hub = parts.hub
    this.app = parts.app
    this.dispatcher = parts.dispatcher
    this.secret = parts.secret
    this.redisPrefix = parts.redisPrefix
    this.#disposables = parts.disposables
  }

  /**
   * Undefined when a server does not answer (the test file then skips; under CI=true serverUrl throws). On the
   * embedded adapters (STACK_KIND) it always starts.
   */
  static async start (env: Record<string, string> = {}): Promise<EdgeStack | undefined> {
    const secret = randomBytes(32).toString('base64url')
    const redisPrefix = `${uniqueName('edge')}:`
    const config = loadEdgeConfig({
      JWT_SECRET: secret,
      REDIS_PREFIX: redisPrefix,
      INSTANCE_ID: uniqueName('edge'),
      PRESENCE_TTL_MS: '1000',
      LOG_LEVEL: 'silent',
      ...env,
    }, { requireServers: false })
    const adapters = STACK_KIND === 'embedded' ? await embeddedAdapters(config) : await serverAdapters(config)
    if (adapters === undefined) return undefined
    const { store, bus, presence, tokens, sendLimiter, disposables } = adapters
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const deps = { config, bus, store, presence, tokens, log: silentLogger, registry, ...(sendLimiter === undefined ? {} : { sendLimiter }) }
    const hub = await createEdgeHub(deps)
    const app = await buildEdgeApp(deps, hub)
    const dispatcher = await startDispatcher({ bus, store, log: silentLogger, registry, options: { prefetch: 256, batchMax: 500, maxAttempts: 3, backoffMaxMs: 1000 } })
    const stack = new EdgeStack({ config, store, bus, presence, tokens, hub, app, dispatcher, secret, redisPrefix, disposables })
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    stack.#url = address.replace('http', 'ws') + '/ws'
    return stack
  }

  /** ws://127.0.0.1:<port>/ws */
  get wsUrl (): string {
    return this.#url
  }

  get httpUrl (): string {
    return this.#url.replace('ws', 'http').replace(/\/ws$/, '')
  }

  /** Signs claims with this stack's secret (HS256, the configured iss/aud), with overrides for attack tests. */
  sign (claims: Partial<Claims> & Record<string, unknown>, options: { expiresInMs?: number | null, notBeforeMs?: number, key?: string, iss?: string, aud?: string } = {}): string {
    const expiresIn = options.expiresInMs === undefined ? 15 * 60_000 : options.expiresInMs
    const signer = createSigner({
      key: options.key ?? this.secret,
      algorithm: 'HS256',
      iss: options.iss ?? this.config.jwt.issuer,
      aud: options.aud ?? this.config.jwt.audience,
      ...(expiresIn === null ? {} : { expiresIn }),
      ...(options.notBeforeMs === undefined ? {} : { notBefore: options.notBeforeMs }),
    })
    return signer(claims)
  }

  /** A user with a device and a valid access token. */
  async user (name = uniqueName('u').slice(0, 30)): Promise<StackUser> {
    const created = await this.store.users.createUser(name, 'unused-hash')
    if (created === 'taken') throw new Error(`user ${name} exists`)
    const device = await this.store.users.upsertDevice(created.id, 'test-device')
    await this.tokens.setVersion(device.id, device.tokenVersion)
    const token = this.sign({ sub: created.id, dev: device.id, ver: device.tokenVersion, typ: 'access', name })
    return { userId: created.id, username: name, deviceId: device.id, version: device.tokenVersion, token }
  }

  /** A public room owned by the first user, with the others as members. */
  async room (owner: StackUser, ...members: StackUser[]): Promise<string> {
    const room = await this.store.rooms.createRoom({ creatorId: owner.userId, name: 'room', visibility: 'public' })
    for (const m of members) await this.store.rooms.addMember(room.id, m.userId)
    return room.id
  }

  /** Removes a member the way the history service does: database, then the `members` event edges act on. */
  async removeMember (roomId: string, userId: string): Promise<void> {
    await this.store.rooms.removeMember(roomId, userId)
    await this.bus.publishEvent({ kind: 'members', roomId, body: JSON.stringify({ type: 'removed', roomId, userId }) })
  }

  /** Revokes a device the way logout does: bump the version, publish the revocation. */
  async revoke (user: StackUser): Promise<void> {
    const version = await this.store.users.revokeDevice(user.deviceId)
    await this.tokens.revoke(user.deviceId, version)
  }

  async close (): Promise<void> {
    await this.hub.drain(1_000).catch(() => {})
    await this.app.close()
    await this.hub.close()
    await this.dispatcher.close()
    await this.bus.close()
    await this.presence.close()
    await this.tokens.close()
    await this.store.close()
    for (const d of this.#disposables) await d.drop().catch(() => {})
  }
}

interface StackAdapters {
  readonly store: ChatStore
  readonly bus: MessageBus
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  /** Undefined: the edge's default (memory). */
  readonly sendLimiter?: SendLimiter
  /** Dropped after everything else is closed: the database, the vhost, the Redis keys. */
  readonly disposables: Disposable[]
}

async function serverAdapters (config: EdgeConfig): Promise<StackAdapters | undefined> {
  const [pg, amqp, redisUrl] = [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL'), await serverUrl('REDIS_URL')]
  if (pg === undefined || amqp === undefined || redisUrl === undefined) return undefined
  const [{ RabbitMessageBus }, { openPostgresDatabase }, { RedisPresenceStore }, { RedisTokenStore }, { RedisSendLimiter }] = await Promise.all([
    import('@chat/bus/rabbitmq'), import('@chat/store/postgres'), import('@chat/presence/redis'), import('@chat/tokens/redis'), import('@chat/limits/redis'),
  ])
  const db = await freshDatabase(pg, 'edge')
  const vhost = await freshVhost(amqp, 'edge')
  const database = await openPostgresDatabase({ url: db.url, maxConnections: 5 })
  await database.migrate()
  const keyPrefix = config.redisPrefix
  const { sendRate, sendBurst } = config.limits
  const sendLimiter = await RedisSendLimiter.connect({ url: redisUrl, keyPrefix, ratePerSecond: sendRate, burst: sendBurst })
  return {
    store: createChatStore(database),
    bus: await RabbitMessageBus.connect({ url: vhost.url, log: silentLogger, topology: { shards: 4, retryDelaysMs: [200, 400] }, connectionName: 'edge-test' }),
    presence: await RedisPresenceStore.connect({ url: redisUrl, keyPrefix, ttlMs: config.presenceTtlMs }),
    tokens: await RedisTokenStore.connect({ url: redisUrl, keyPrefix }),
    sendLimiter,
    disposables: [{ url: redisUrl, drop: async () => { await sendLimiter.close() } }, db, vhost, redisKeys(redisUrl, keyPrefix)],
  }
}

let embeddedDatabase: Promise<ChatDatabase> | undefined

/**
 * One PGlite for every stack of the process (creating one costs seconds of WebAssembly compilation): the stacks
 * keep apart by their own users and rooms. It lives as long as the process; a stack's store closing leaves it open.
 */
async function sharedPglite (): Promise<ChatDatabase> {
  embeddedDatabase ??= (async () => {
    const { openPgliteDatabase } = await import('@chat/store/pglite')
    const database = await openPgliteDatabase()
    await database.migrate()
    return database
  })()
  const database = await embeddedDatabase
  return { db: database.db, client: database.client, dialect: database.dialect, migrate: async () => {}, ping: async () => await database.ping(), close: async () => {} }
}

async function embeddedAdapters (config: EdgeConfig): Promise<StackAdapters> {
  return {
    store: createChatStore(await sharedPglite()),
    bus: new InProcessMessageBus({ topology: { shards: 4, retryDelaysMs: [200, 400] } }),
    presence: new MemoryPresenceStore({ ttlMs: config.presenceTtlMs }),
    tokens: new MemoryTokenStore(),
    disposables: [],
  }
}

/** Removes every Redis key under the stack's prefix (presence, token versions, SEND limits). */
function redisKeys (url: string, prefix: string): Disposable {
  return {
    url,
    async drop () {
      const admin = new Redis(url)
      try {
        let cursor = '0'
        do {
          const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          if (keys.length > 0) await admin.unlink(...keys)
          cursor = next
        } while (cursor !== '0')
      } finally {
        admin.disconnect()
      }
    },
  }
}

/** `destination` of a room stream. */
export const roomTopic = (roomId: string): string => `/topic/rooms.${roomId}`
