import { createLogger, createMetricsRegistry, closeAll, onShutdownSignal } from '@chat/observability'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { RedisPresenceStore } from '@chat/presence/redis'
import { RedisTokenStore } from '@chat/tokens/redis'
import { connectRedis, quitRedis } from '@chat/redis/connect'
import { loadTopologyOptions } from '@chat/topology'
import { loadHistoryConfig } from './config.js'
import { buildHistoryApp } from './app.js'

const config = loadHistoryConfig(process.env, { requireServers: true })
const topology = loadTopologyOptions(process.env)
const { database: pg, rabbitmqUrls, redis } = config.connections
if (pg === undefined || rabbitmqUrls === undefined || redis === undefined) throw new Error('unreachable: loadHistoryConfig requires every server')
const log = createLogger(config.logLevel, 'history')
if (config.jwt.isEphemeral) log.warn('JWT_SECRET is not set: tokens are signed with a random secret that dies with this process, and the edges cannot verify them')
const registry = createMetricsRegistry()

const database = await openPostgresDatabase({
  url: pg.url,
  maxConnections: pg.poolMax,
  applicationName: 'history',
  ...(pg.readUrl === undefined ? {} : { readUrl: pg.readUrl }),
})
if (config.migrate) await database.migrate()
const store = createChatStore(database)
const bus = await RabbitMessageBus.connect({
  url: rabbitmqUrls,
  log: log.child({ component: 'bus' }),
  topology,
  publishBufferSize: config.publishBuffer,
  publishTimeoutMs: config.publishTimeoutMs,
  connectionName: 'history',
})
const presence = await RedisPresenceStore.connect({ url: redis, keyPrefix: config.redisPrefix, ttlMs: config.presenceTtlMs, log })
const tokens = await RedisTokenStore.connect({ url: redis, keyPrefix: config.redisPrefix, log })
const rateLimitRedis = await connectRedis(redis, { what: 'login rate limit', log, options: { maxRetriesPerRequest: 1, enableOfflineQueue: false } })

const app = await buildHistoryApp({ config, bus, store, presence, tokens, log, registry, rateLimitRedis })

onShutdownSignal(log, async () => {
  await app.close()
  await closeAll(log, [bus, presence, tokens, store, { close: async () => { await quitRedis(rateLimitRedis) } }])
})

await app.listen({ host: config.host, port: config.port })
log.info({ port: config.port }, 'history listening')
