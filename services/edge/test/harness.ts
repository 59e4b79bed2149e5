import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createSigner } from 'fast-jwt'
import type { MessageBus } from '@chat/bus'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore, type ChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import type { PresenceStore } from '@chat/presence'
import { RedisPresenceStore } from '@chat/presence/redis'
import type { TokenStore } from '@chat/tokens'
import { RedisTokenStore } from '@chat/tokens/redis'
import { createMetricsRegistry, silentLogger } from '@chat/observability'
import { startDispatcher, type Dispatcher } from '@chat/dispatcher'
import { freshDatabase, freshRedisPrefix, freshVhost, serverUrl, uniqueName, type Disposable } from '@chat/testing'
import { buildEdgeApp, createEdgeHub, loadEdgeConfig, type EdgeConfig, type EdgeHub } from '../src/index.js'

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

  /** Undefined when a server does not answer (the test file then skips; under CI=true serverUrl throws). */
  static async start (env: Record<string, string> = {}): Promise<EdgeStack | undefined> {
    const [pg, amqp, redisUrl] = [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL'), await serverUrl('REDIS_URL')]
    if (pg === undefined || amqp === undefined || redisUrl === undefined) return undefined
    const db = await freshDatabase(pg, 'edge')
    const vhost = await freshVhost(amqp, 'edge')
    const secret = randomBytes(32).toString('base64url')
    const redisKeys = freshRedisPrefix(redisUrl, 'edge')
    const redisPrefix = redisKeys.prefix
    const config = loadEdgeConfig({
      JWT_SECRET: secret,
      REDIS_PREFIX: redisPrefix,
      INSTANCE_ID: uniqueName('edge'),
      PRESENCE_TTL_MS: '1000',
      LOG_LEVEL: 'silent',
      ...env,
    }, { requireServers: false })
    const database = await openPostgresDatabase({ url: db.url, maxConnections: 5 })
    await database.migrate()
    const store = createChatStore(database)
    const bus = await RabbitMessageBus.connect({ url: vhost.url, log: silentLogger, topology: { shards: 4, retryDelaysMs: [200, 400] }, connectionName: 'edge-test' })
    const presence = await RedisPresenceStore.connect({ url: redisUrl, keyPrefix: redisPrefix, ttlMs: config.presenceTtlMs })
    const tokens = await RedisTokenStore.connect({ url: redisUrl, keyPrefix: redisPrefix })
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const deps = { config, bus, store, presence, tokens, log: silentLogger, registry }
    const hub = await createEdgeHub(deps)
    const app = await buildEdgeApp(deps, hub)
    const dispatcher = await startDispatcher({ bus, store, log: silentLogger, registry, options: { prefetch: 256, batchMax: 500, maxAttempts: 3, backoffMaxMs: 1000 } })
    const stack = new EdgeStack({ config, store, bus, presence, tokens, hub, app, dispatcher, secret, redisPrefix, disposables: [db, vhost, redisKeys] })
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

/** `destination` of a room stream. */
export const roomTopic = (roomId: string): string => `/topic/rooms.${roomId}`
