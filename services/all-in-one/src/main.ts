import { resolve } from 'node:path'
import { createLogger, createMetricsRegistry, onShutdownSignal } from '@chat/observability'
import { loadEdgeConfig } from '@chat/edge'
import { loadHistoryConfig } from '@chat/history'
import { loadDispatcherConfig } from '@chat/dispatcher'
import { loadTopologyOptions } from '@chat/topology'
import { createAdapters } from './adapters.js'
import { buildAllInOne } from './all-in-one.js'

// `npm start`: everything in one process. Real servers where DATABASE_URL, RABBITMQ_URL, REDIS_URL are
// set; embedded adapters (PGlite in ./.data/, the in-process broker, in-memory presence) otherwise.
const env = process.env
const edge = loadEdgeConfig(env, { requireServers: false })
const history = loadHistoryConfig({ ...env, PORT: undefined }, { requireServers: false })
const dispatcher = loadDispatcherConfig({ ...env, PORT: undefined }, { requireServers: false })
const topology = loadTopologyOptions(env)
const log = createLogger(edge.logLevel, 'all-in-one')
if (edge.jwt.isEphemeral) log.warn('JWT_SECRET is not set: tokens are signed with a random secret for this start (sessions end at restart)')
const registry = createMetricsRegistry()

const adapters = await createAdapters({
  // History's view: it is the one that reads DATABASE_READ_URL (the edge's and the dispatcher's are the same otherwise).
  connections: history.connections,
  ...(env.CHAT_EPHEMERAL === '1' ? {} : { dataDir: resolve(env.CHAT_DATA_DIR ?? '.data', 'pglite') }),
  redisPrefix: edge.redisPrefix,
  presenceTtlMs: edge.presenceTtlMs,
  topology,
  publishBufferSize: edge.publishBuffer,
  publishTimeoutMs: edge.publishTimeoutMs,
  migrate: history.migrate,
  log,
})
// One secret for signing (history) and verifying (edge): the same settings object.
const system = await buildAllInOne({ edge, history: { ...history, jwt: edge.jwt }, dispatch: dispatcher.dispatch }, adapters, log, registry)

onShutdownSignal(log, async () => { await system.shutdown(edge.shutdownDeadlineMs) }, edge.shutdownDeadlineMs)

await system.app.listen({ host: edge.host, port: edge.port })
log.info({ url: `http://${edge.host}:${edge.port}`, ...adapters.kinds }, 'chat is up: web page at /, STOMP at /ws, REST at /api, docs at /docs')
