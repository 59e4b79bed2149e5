import { createLogger, createMetricsRegistry, closeAll, onShutdownSignal } from '@chat/observability'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { RedisPresenceStore } from '@chat/presence/redis'
import { RedisTokenStore } from '@chat/tokens/redis'
import { RedisSendLimiter } from '@chat/limits/redis'
import { loadEdgeConfig } from './config.js'
import { buildEdgeApp, createEdgeHub } from './app.js'

const config = loadEdgeConfig(process.env, { requireServers: true })
const log = createLogger(config.logLevel, 'edge')
if (config.jwt.isEphemeral) log.warn('JWT_SECRET is not set: tokens are signed with a random secret that dies with this process')
const registry = createMetricsRegistry()

const database = await openPostgresDatabase({ url: config.databaseUrl ?? '', applicationName: `edge-${config.instanceId}` })
const store = createChatStore(database)
const bus = await RabbitMessageBus.connect({
  url: config.rabbitmqUrl ?? '',
  log: log.child({ component: 'bus' }),
  topology: { shards: config.shards, retryDelaysMs: [1_000, 5_000, 30_000] },
  publishBufferSize: config.publishBuffer,
  publishTimeoutMs: config.publishTimeoutMs,
  connectionName: `edge-${config.instanceId}`,
})
const presence = await RedisPresenceStore.connect({ url: config.redisUrl ?? '', keyPrefix: config.redisPrefix, ttlMs: config.presenceTtlMs })
const tokens = await RedisTokenStore.connect({ url: config.redisUrl ?? '', keyPrefix: config.redisPrefix })
const sendLimiter = await RedisSendLimiter.connect({
  url: config.redisUrl ?? '',
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
