import { createLogger, createMetricsRegistry, closeAll, onShutdownSignal } from '@chat/observability'
import { RabbitMessageBus } from '@chat/bus/rabbitmq'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { loadTopologyOptions } from '@chat/topology'
import { loadDispatcherConfig } from './config.js'
import { buildDispatcherApp, startDispatcher } from './app.js'

const config = loadDispatcherConfig(process.env, { requireServers: true })
const topology = loadTopologyOptions(process.env)
const { database: pg, rabbitmqUrls } = config.connections
if (pg === undefined || rabbitmqUrls === undefined) throw new Error('unreachable: loadDispatcherConfig requires every server')
const log = createLogger(config.logLevel, 'dispatcher')
const registry = createMetricsRegistry()

const database = await openPostgresDatabase({ url: pg.url, maxConnections: pg.poolMax, applicationName: `dispatcher-${config.instanceId}` })
const store = createChatStore(database)
const bus = await RabbitMessageBus.connect({
  url: rabbitmqUrls,
  log: log.child({ component: 'bus' }),
  topology,
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
