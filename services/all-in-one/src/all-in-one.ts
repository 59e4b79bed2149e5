import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { loggerOptions, opsPlugin, closeAll, type Logger } from '@chat/observability'
import { createEdgeHub, stompGateway, type EdgeConfig, type EdgeHub } from '@chat/edge'
import { errorHandler, frameworkErrors, historyRoutes, notFoundHandler, type HistoryConfig } from '@chat/history'
import { startDispatcher, type Dispatcher, type DispatcherOptions } from '@chat/dispatcher'
import { webPlugin } from '@chat/web'
import type { Adapters } from './adapters.js'

export interface AllInOneConfig {
  readonly edge: EdgeConfig
  readonly history: HistoryConfig
  readonly dispatch: DispatcherOptions
}

export interface AllInOne {
  readonly app: FastifyInstance
  readonly hub: EdgeHub
  readonly dispatcher: Dispatcher
  /** Drains sessions, stops the dispatcher, closes the adapters. */
  shutdown (deadlineMs: number): Promise<void>
}

/**
 * Edge, dispatcher and history in one process on one port, sharing one set of adapters. Composition
 * only: every behaviour lives in the services (R5).
 */
export async function buildAllInOne (config: AllInOneConfig, adapters: Adapters, log: Logger, registry: Registry): Promise<AllInOne> {
  const { bus, store, presence, tokens } = adapters
  const limits = config.edge.limits
  // With Redis the SEND limits are kept there (several all-in-one processes may share a deployment); else in memory.
  const sendLimiter = adapters.rateLimitRedis === undefined
    ? undefined
    : new (await import('@chat/limits/redis')).RedisSendLimiter({
      client: adapters.rateLimitRedis, keyPrefix: config.edge.redisPrefix, ratePerSecond: limits.sendRate, burst: limits.sendBurst, log,
    })
  const hub = await createEdgeHub({
    config: config.edge, bus, store, presence, tokens, log: log.child({ service: 'edge' }), registry, ...(sendLimiter === undefined ? {} : { sendLimiter }),
  })
  const dispatcher = await startDispatcher({ bus, store, log: log.child({ service: 'dispatcher' }), registry, options: config.dispatch })
  const app = Fastify({ logger: loggerOptions(config.edge.logLevel, 'all-in-one'), bodyLimit: 64 * 1024, logController: new LogController({ disableRequestLogging: true }), frameworkErrors })
  // The API's `{statusCode, code, message}` bodies outside /api too (unknown paths, /metrics, /readyz).
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  await app.register(opsPlugin, {
    registry,
    readiness: { bus: () => bus.isConnected(), database: async () => await store.ping() },
    isDraining: () => hub.isDraining(),
  })
  await app.register(stompGateway, { hub, allowedOrigins: config.edge.allowedOrigins })
  await app.register(historyRoutes, {
    config: config.history,
    bus,
    store,
    presence,
    tokens,
    log: log.child({ service: 'history' }),
    registry,
    ...(adapters.rateLimitRedis === undefined ? {} : { rateLimitRedis: adapters.rateLimitRedis }),
  })
  await app.register(webPlugin)
  return {
    app,
    hub,
    dispatcher,
    async shutdown (deadlineMs: number) {
      await hub.drain(Math.max(1_000, deadlineMs - 5_000))
      await app.close()
      await hub.close()
      await dispatcher.close()
      await closeAll(log, [
        adapters.bus,
        adapters.presence,
        adapters.tokens,
        adapters.store,
        { close: async () => { adapters.rateLimitRedis?.disconnect() } },
      ])
    },
  }
}
