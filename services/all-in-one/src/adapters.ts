import type { MessageBus } from '@chat/bus'
import { InProcessMessageBus } from '@chat/bus'
import { createChatStore, type ChatDatabase, type ChatStore } from '@chat/store'
import { MemoryPresenceStore, type PresenceStore } from '@chat/presence'
import { MemoryTokenStore, type TokenStore } from '@chat/tokens'
import type { Logger } from '@chat/observability'
import type { TopologyOptions } from '@chat/topology'
import type { Redis } from 'ioredis'

export interface AdapterOptions {
  readonly databaseUrl?: string
  readonly rabbitmqUrl?: string
  readonly redisUrl?: string
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
  let database: ChatDatabase
  if (o.databaseUrl !== undefined) {
    const { openPostgresDatabase } = await import('@chat/store/postgres')
    database = await openPostgresDatabase({ url: o.databaseUrl, applicationName: 'all-in-one' })
  } else {
    const { openPgliteDatabase } = await import('@chat/store/pglite')
    database = await openPgliteDatabase(o.dataDir === undefined ? {} : { dataDir: o.dataDir })
  }
  if (o.migrate) await database.migrate()
  const store = createChatStore(database)

  let bus: MessageBus
  if (o.rabbitmqUrl !== undefined) {
    const { RabbitMessageBus } = await import('@chat/bus/rabbitmq')
    bus = await RabbitMessageBus.connect({
      url: o.rabbitmqUrl,
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
  if (o.redisUrl !== undefined) {
    const [{ RedisPresenceStore }, { RedisTokenStore }, { Redis }] = await Promise.all([
      import('@chat/presence/redis'), import('@chat/tokens/redis'), import('ioredis'),
    ])
    presence = await RedisPresenceStore.connect({ url: o.redisUrl, keyPrefix: o.redisPrefix, ttlMs: o.presenceTtlMs })
    tokens = await RedisTokenStore.connect({ url: o.redisUrl, keyPrefix: o.redisPrefix })
    rateLimitRedis = new Redis(o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
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
      database: o.databaseUrl === undefined ? (o.dataDir === undefined ? 'pglite (memory)' : `pglite (${o.dataDir})`) : 'postgresql',
      bus: o.rabbitmqUrl === undefined ? 'in-process' : 'rabbitmq',
      redis: o.redisUrl === undefined ? 'in-memory' : 'redis',
    },
  }
}
