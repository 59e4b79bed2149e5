import type { MessageBus } from '@chat/bus'
import { InProcessMessageBus } from '@chat/bus'
import { createChatStore, type ChatDatabase, type ChatStore } from '@chat/store'
import { MemoryPresenceStore, type PresenceStore } from '@chat/presence'
import { MemoryTokenStore, type TokenStore } from '@chat/tokens'
import type { Connections } from '@chat/config'
import type { Logger } from '@chat/observability'
import type { TopologyOptions } from '@chat/topology'
import type { Redis } from 'ioredis'

export interface AdapterOptions {
  /** The servers whose variables are set (`loadConnections`); an embedded stand-in for each one that is not. */
  readonly connections: Connections
  /** Where the embedded database keeps its files; undefined: in memory. */
  readonly dataDir?: string
  readonly redisPrefix: string
  readonly presenceTtlMs: number
  readonly topology: TopologyOptions
  readonly publishBufferSize: number
  readonly publishTimeoutMs: number
  readonly migrate: boolean
  readonly log: Logger
}

export interface Adapters {
  readonly database: ChatDatabase
  readonly store: ChatStore
  readonly bus: MessageBus
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  readonly rateLimitRedis?: Redis
  /** Which adapter backs each port, for the start-up log line. */
  readonly kinds: { readonly database: string, readonly bus: string, readonly redis: string }
}

/**
 * One set of adapters for the whole process: a real server where its URL is set, the embedded twin
 * otherwise. Real adapters are imported lazily, so a bare `npm start` loads no driver it does not use.
 */
export async function createAdapters (o: AdapterOptions): Promise<Adapters> {
  const { database: pg, rabbitmqUrls, redis } = o.connections
  let database: ChatDatabase
  if (pg !== undefined) {
    const { openPostgresDatabase } = await import('@chat/store/postgres')
    database = await openPostgresDatabase({
      url: pg.url,
      maxConnections: pg.poolMax,
      applicationName: 'all-in-one',
      ...(pg.readUrl === undefined ? {} : { readUrl: pg.readUrl }),
    })
  } else {
    const { openPgliteDatabase } = await import('@chat/store/pglite')
    database = await openPgliteDatabase(o.dataDir === undefined ? {} : { dataDir: o.dataDir })
  }
  if (o.migrate) await database.migrate()
  const store = createChatStore(database)

  let bus: MessageBus
  if (rabbitmqUrls !== undefined) {
    const { RabbitMessageBus } = await import('@chat/bus/rabbitmq')
    bus = await RabbitMessageBus.connect({
      url: rabbitmqUrls,
      log: o.log.child({ component: 'bus' }),
      topology: o.topology,
      publishBufferSize: o.publishBufferSize,
      publishTimeoutMs: o.publishTimeoutMs,
      connectionName: 'all-in-one',
    })
  } else {
    bus = new InProcessMessageBus({ topology: o.topology, log: o.log.child({ component: 'bus' }) })
  }

  let presence: PresenceStore
  let tokens: TokenStore
  let rateLimitRedis: Redis | undefined
  if (redis !== undefined) {
    const [{ RedisPresenceStore }, { RedisTokenStore }, { connectRedis }] = await Promise.all([
      import('@chat/presence/redis'), import('@chat/tokens/redis'), import('@chat/redis/connect'),
    ])
    presence = await RedisPresenceStore.connect({ url: redis, keyPrefix: o.redisPrefix, ttlMs: o.presenceTtlMs, log: o.log })
    tokens = await RedisTokenStore.connect({ url: redis, keyPrefix: o.redisPrefix, log: o.log })
    rateLimitRedis = await connectRedis(redis, { what: 'login rate limit', log: o.log, options: { maxRetriesPerRequest: 1, enableOfflineQueue: false } })
  } else {
    presence = new MemoryPresenceStore({ ttlMs: o.presenceTtlMs })
    tokens = new MemoryTokenStore()
  }
  return {
    database,
    store,
    bus,
    presence,
    tokens,
    ...(rateLimitRedis === undefined ? {} : { rateLimitRedis }),
    kinds: {
      database: pg === undefined ? (o.dataDir === undefined ? 'pglite (memory)' : `pglite (${o.dataDir})`) : pg.readUrl === undefined ? 'postgresql' : 'postgresql + replica',
      bus: rabbitmqUrls === undefined ? 'in-process' : `rabbitmq (${rabbitmqUrls.length} node${rabbitmqUrls.length === 1 ? '' : 's'})`,
      redis: redis === undefined ? 'in-memory' : redis.kind === 'sentinel' ? 'redis (sentinel)' : 'redis',
    },
  }
}
