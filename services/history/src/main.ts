import { Redis } from 'ioredis'
import { createLogger, createMetricsRegistry, closeAll, onShutdownSignal } from '@chat/observability'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { RedisPresenceStore } from '@chat/presence/redis'
import { RedisTokenStore } from '@chat/tokens/redis'
import { loadHistoryConfig } from './config.js'
import { buildHistoryApp } from './app.js'

const config = loadHistoryConfig(process.env, { requireServers: true })
const log = createLogger(config.logLevel, 'history')
if (config.jwt.isEphemeral) log.warn('JWT_SECRET is not set: tokens are signed with a random secret that dies with this process, and the edges cannot verify them')
const registry = createMetricsRegistry()

const database = await openPostgresDatabase({ url: config.databaseUrl ?? '', applicationName: 'history' })
if (config.migrate) await database.migrate()
const store = createChatStore(database)
const bus = await RabbitMessageBus.connect({
  url: config.rabbitmqUrl ?? '',
  log: log.child({ component: 'bus' }),
  topology: { shards: config.shards, retryDelaysMs: [1_000, 5_000, 30_000] },
  publishBufferSize: config.publishBuffer,
  publishTimeoutMs: config.publishTimeoutMs,
  connectionName: 'history',
})
const presence = await RedisPresenceStore.connect({ url: config.redisUrl ?? '', keyPrefix: config.redisPrefix, ttlMs: config.presenceTtlMs })
const tokens = await RedisTokenStore.connect({ url: config.redisUrl ?? '', keyPrefix: config.redisPrefix })
const rateLimitRedis = new Redis(config.redisUrl ?? '', { maxRetriesPerRequest: 1, enableOfflineQueue: false })

const app = await buildHistoryApp({ config, bus, store, presence, tokens, log, registry, rateLimitRedis })

onShutdownSignal(log, async () => {
  await app.close()
  await closeAll(log, [bus, presence, tokens, store, { close: async () => { rateLimitRedis.disconnect() } }])
})

await app.listen({ host: config.host, port: config.port })
log.info({ port: config.port }, 'history listening')
