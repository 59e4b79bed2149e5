import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { MessageBus } from '@chat/bus'
import type { ChatStore } from '@chat/store'
import type { PresenceStore } from '@chat/presence'
import type { TokenStore } from '@chat/tokens'
import { MemorySendLimiter, type SendLimiter } from '@chat/limits'
import { loggerOptions, opsPlugin, type Logger } from '@chat/observability'
import type { EdgeConfig } from './config.js'
import { EdgeHub } from './hub.js'
import { createEdgeMetrics } from './metrics.js'
import { createJwtVerifier } from './jwt-verifier.js'
import { stompGateway } from './gateway/stomp-gateway.js'

export interface EdgeDeps {
  readonly config: EdgeConfig
  readonly bus: MessageBus
  readonly store: ChatStore
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  readonly log: Logger
  readonly registry: Registry
  /**
   * Per-user SEND limits. Shared across edges only through a shared adapter (`RedisSendLimiter`); the launcher
   * owns it. @default a MemorySendLimiter with the configured rate and burst (one process: the embedded mode)
   */
  readonly sendLimiter?: SendLimiter
}

/** Creates and starts the edge's shared state (bus queue, timers). The launcher owns its `close()`. */
export async function createEdgeHub (deps: EdgeDeps): Promise<EdgeHub> {
  const hub = new EdgeHub({
    config: deps.config,
    bus: deps.bus,
    store: deps.store,
    presence: deps.presence,
    tokens: deps.tokens,
    sendLimiter: deps.sendLimiter ?? new MemorySendLimiter({ ratePerSecond: deps.config.limits.sendRate, burst: deps.config.limits.sendBurst }),
    verifyJwt: createJwtVerifier(deps.config.jwt),
    log: deps.log,
    metrics: createEdgeMetrics(deps.registry),
  })
  await hub.start()
  return hub
}

/**
 * The edge as its own HTTP server: `/ws`, `/metrics`, `/healthz`, `/readyz`. Not listening yet (R5).
 * Ready while the bus is connected, the database answers and the edge is not draining.
 */
export async function buildEdgeApp (deps: EdgeDeps, hub: EdgeHub): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.logLevel, 'edge'),
    logController: new LogController({ disableRequestLogging: true }),
    // At close, after the gateway's preClose has given the WebSockets their grace: cut every connection left
    // (a keep-alive connection that went idle during the shutdown would otherwise hold it for keepAliveTimeout).
    forceCloseConnections: true,
  })
  await app.register(opsPlugin, {
    registry: deps.registry,
    readiness: { bus: () => deps.bus.isConnected(), database: async () => await deps.store.ping() },
    isDraining: () => hub.isDraining(),
  })
  await app.register(stompGateway, { hub, allowedOrigins: deps.config.allowedOrigins })
  return app
}
