import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { MessageBus } from '@chat/bus'
import type { ChatStore } from '@chat/store'
import { loggerOptions, opsPlugin, type Logger } from '@chat/observability'
import type { DispatcherOptions } from './config.js'
import { Dispatcher } from './dispatcher.js'
import { createDispatcherMetrics } from './metrics.js'

export interface DispatcherServiceDeps {
  readonly bus: MessageBus
  readonly store: ChatStore
  readonly log: Logger
  readonly registry: Registry
  readonly options: DispatcherOptions
}

/** Creates and starts a dispatcher consuming every shard. The caller owns its `close()`. */
export async function startDispatcher (deps: DispatcherServiceDeps): Promise<Dispatcher> {
  const dispatcher = new Dispatcher({
    bus: deps.bus,
    messages: deps.store.messages,
    log: deps.log,
    metrics: createDispatcherMetrics(deps.registry),
    options: deps.options,
  })
  await dispatcher.start()
  return dispatcher
}

/** The dispatcher's only HTTP surface: `/metrics`, `/healthz`, `/readyz`. Not listening yet. */
export async function buildDispatcherApp (deps: DispatcherServiceDeps, logLevel: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions(logLevel, 'dispatcher'), logController: new LogController({ disableRequestLogging: true }) })
  await app.register(opsPlugin, {
    registry: deps.registry,
    readiness: { bus: () => deps.bus.isConnected(), database: async () => await deps.store.ping() },
  })
  return app
}
