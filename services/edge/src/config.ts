import { hostname } from 'node:os'
import Type from 'typebox'
import { ConfigError, loadConnections, loadJwtSettings, parseEnv, parseList, type Connections, type Env, type JwtSettings } from '@chat/config'

const EdgeEnv = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  REDIS_PREFIX: Type.String({ default: 'chat:', maxLength: 64 }),
  ALLOWED_ORIGINS: Type.Optional(Type.String()),
  SEND_RATE: Type.Number({ exclusiveMinimum: 0, default: 20 }),
  SEND_BURST: Type.Integer({ minimum: 1, default: 40 }),
  EDGE_MAX_CONNECTIONS: Type.Integer({ minimum: 1, default: 20_000 }),
  EDGE_LOGIN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  EDGE_HEARTBEAT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  EDGE_MAX_FRAME_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 65_536 }),
  EDGE_MAX_SUBSCRIPTIONS: Type.Integer({ minimum: 1, default: 256 }),
  EDGE_SLOW_CONSUMER_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  EDGE_SLOW_CONSUMER_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  EDGE_DRAIN_WINDOW_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  EDGE_SHUTDOWN_DEADLINE_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  PRESENCE_TTL_MS: Type.Integer({ minimum: 200, default: 30_000 }),
  PUBLISH_BUFFER: Type.Integer({ minimum: 1, default: 10_000 }),
  PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
})

/** Everything the edge reads from its environment, validated at start (SPEC section 2). */
export interface EdgeConfig {
  readonly host: string
  readonly port: number
  readonly logLevel: string
  /** This process's name in presence and in its queue `edge.{instanceId}`. @default hostname-pid */
  readonly instanceId: string
  readonly redisPrefix: string
  /** Browser origins allowed to open `/ws` besides the same origin. Empty: same origin only. */
  readonly allowedOrigins: readonly string[]
  readonly jwt: JwtSettings
  readonly limits: EdgeLimits
  readonly presenceTtlMs: number
  readonly publishBuffer: number
  readonly publishTimeoutMs: number
  readonly shutdownDeadlineMs: number
  /** PostgreSQL, RabbitMQ and Redis; each required when the edge runs on its own. */
  readonly connections: Connections
}

/** The limits of SPEC section 4, each configurable. */
export interface EdgeLimits {
  /** Sessions this instance holds; past it the upgrade is answered 503 with Retry-After. @default 20_000 */
  readonly maxConnections: number
  /** A socket that sends no CONNECT within it is closed. @default 10_000 */
  readonly loginTimeoutMs: number
  /** Heart-beat the server offers both ways in CONNECTED. 0 disables. @default 10_000 */
  readonly heartbeatMs: number
  /** Largest frame after CONNECT. @default 65_536 */
  readonly maxFrameBytes: number
  /** Largest frame before CONNECT: unauthenticated sockets cost little. @default 16_384 */
  readonly maxLoginFrameBytes: number
  /** Subscriptions a session. @default 256 */
  readonly maxSubscriptions: number
  /** SENDs per second a session (token bucket rate). @default 20 */
  readonly sendRate: number
  /** Token bucket size. @default 40 */
  readonly sendBurst: number
  /** Bytes queued on a socket above which it counts as slow. @default 1_048_576 */
  readonly slowConsumerBytes: number
  /** How long a socket may stay slow before it is closed. @default 10_000 */
  readonly slowConsumerMs: number
  /** Queued bytes at which a socket is closed at once, whatever the time: memory stays bounded. @default 16 × slowConsumerBytes */
  readonly hardBufferBytes: number
  /** Window over which shutdown spreads `reconnect-after-ms`. @default 10_000 */
  readonly drainWindowMs: number
  /** Open transactions a session. @default 16 */
  readonly maxTransactions: number
  /** Frames held by one transaction. @default 1_000 */
  readonly maxTransactionFrames: number
}

export function loadEdgeConfig (env: Env, options: { requireServers: boolean }): EdgeConfig {
  const e = parseEnv(EdgeEnv, env)
  const connections = loadConnections(env, { required: options.requireServers ? ['DATABASE_URL', 'RABBITMQ_URL', 'REDIS_URL'] : [], who: 'the edge' })
  const origins = parseList(e.ALLOWED_ORIGINS)
  for (const o of origins) {
    let parsed: URL
    try {
      parsed = new URL(o)
    } catch {
      throw new ConfigError(`ALLOWED_ORIGINS: '${o}' is not an origin (scheme://host[:port])`)
    }
    if (parsed.origin !== o.replace(/\/$/, '')) throw new ConfigError(`ALLOWED_ORIGINS: '${o}' is not an origin (scheme://host[:port], no path)`)
  }
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    instanceId: e.INSTANCE_ID ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}`,
    redisPrefix: e.REDIS_PREFIX,
    allowedOrigins: origins.map((o) => new URL(o).origin),
    jwt: loadJwtSettings(env, { needPrivateKey: false }),
    limits: Object.freeze({
      maxConnections: e.EDGE_MAX_CONNECTIONS,
      loginTimeoutMs: e.EDGE_LOGIN_TIMEOUT_MS,
      heartbeatMs: e.EDGE_HEARTBEAT_MS,
      maxFrameBytes: e.EDGE_MAX_FRAME_BYTES,
      maxLoginFrameBytes: Math.min(16_384, e.EDGE_MAX_FRAME_BYTES),
      maxSubscriptions: e.EDGE_MAX_SUBSCRIPTIONS,
      sendRate: e.SEND_RATE,
      sendBurst: e.SEND_BURST,
      slowConsumerBytes: e.EDGE_SLOW_CONSUMER_BYTES,
      slowConsumerMs: e.EDGE_SLOW_CONSUMER_MS,
      hardBufferBytes: 16 * e.EDGE_SLOW_CONSUMER_BYTES,
      drainWindowMs: e.EDGE_DRAIN_WINDOW_MS,
      maxTransactions: 16,
      maxTransactionFrames: 1_000,
    }),
    presenceTtlMs: e.PRESENCE_TTL_MS,
    publishBuffer: e.PUBLISH_BUFFER,
    publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    shutdownDeadlineMs: e.EDGE_SHUTDOWN_DEADLINE_MS,
    connections,
  })
}
