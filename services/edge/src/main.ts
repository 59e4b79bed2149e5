import { createLogger, createMetricsRegistry, closeAll, onShutdownSignal } from '@chat/observability'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { RedisPresenceStore } from '@chat/presence/redis'
import { RedisTokenStore } from '@chat/tokens/redis'
import { loadTopologyOptions } from '@chat/topology'
import { RedisSendLimiter } from '@chat/limits/redis'
import { loadEdgeConfig } from './config.js'
import { buildEdgeApp, createEdgeHub } from './app.js'

const config = loadEdgeConfig(process.env, { requireServers: true })
const topology = loadTopologyOptions(process.env)
const { database: pg, rabbitmqUrls, redis } = config.connections
if (pg === undefined || rabbitmqUrls === undefined || redis === undefined) throw new Error('unreachable: loadEdgeConfig requires every server')
const log = createLogger(config.logLevel, 'edge')
if (config.jwt.isEphemeral) log.warn('JWT_SECRET is not set: tokens are signed with a random secret that dies with this process')
const registry = createMetricsRegistry()

const database = await openPostgresDatabase({ url: pg.url, maxConnections: pg.poolMax, applicationName: `edge-${config.instanceId}` })
const store = createChatStore(database)
const bus = await RabbitMessageBus.connect({
  url: rabbitmqUrls,
  log: log.child({ component: 'bus' }),
  topology,
  publishBufferSize: config.publishBuffer,
  publishTimeoutMs: config.publishTimeoutMs,
  connectionName: `edge-${config.instanceId}`,
})
const presence = await RedisPresenceStore.connect({ url: redis, keyPrefix: config.redisPrefix, ttlMs: config.presenceTtlMs, log })
const tokens = await RedisTokenStore.connect({ url: redis, keyPrefix: config.redisPrefix, log })
const sendLimiter = await RedisSendLimiter.connect({
  url: redis,
  keyPrefix: config.redisPrefix,
  ratePerSecond: config.limits.sendRate,
  burst: config.limits.sendBurst,
  log: log.child({ component: 'limits' }),
})

const deps = { config, bus, store, presence, tokens, sendLimiter, log, registry }
const hub = await createEdgeHub(deps)
const app = await buildEdgeApp(deps, hub)

onShutdownSignal(log, async () => {
  const started = Date.now()
  await hub.drain(config.shutdownDeadlineMs - 5_000)
  log.info({ ms: Date.now() - started }, 'sessions drained')
  await app.close()
  log.info({ ms: Date.now() - started }, 'http server closed')
  await hub.close()
  log.info({ ms: Date.now() - started }, 'hub closed')
  await closeAll(log, [bus, presence, tokens, sendLimiter, store])
}, config.shutdownDeadlineMs)

await app.listen({ host: config.host, port: config.port })
log.info({ instanceId: config.instanceId, port: config.port }, 'edge listening')
