import { createLogger, createMetricsRegistry, closeAll, onShutdownSignal } from '@chat/observability'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { loadDispatcherConfig } from './config.js'
import { buildDispatcherApp, startDispatcher } from './app.js'

const config = loadDispatcherConfig(process.env, { requireServers: true })
const log = createLogger(config.logLevel, 'dispatcher')
const registry = createMetricsRegistry()

const database = await openPostgresDatabase({ url: config.databaseUrl ?? '', applicationName: `dispatcher-${config.instanceId}` })
const store = createChatStore(database)
const bus = await RabbitMessageBus.connect({
  url: config.rabbitmqUrl ?? '',
  log: log.child({ component: 'bus' }),
  topology: { shards: config.shards, retryDelaysMs: config.retryDelaysMs },
  connectionName: `dispatcher-${config.instanceId}`,
})
const deps = { bus, store, log, registry, options: config.dispatch }
const dispatcher = await startDispatcher(deps)
const app = await buildDispatcherApp(deps, config.logLevel)

onShutdownSignal(log, async () => {
  await app.close()
  await closeAll(log, [dispatcher, bus, store])
})

await app.listen({ host: config.host, port: config.port })
log.info({ instanceId: config.instanceId, port: config.port }, 'dispatcher consuming')
