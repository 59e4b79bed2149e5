import { hostname } from 'node:os'
import Type from 'typebox'
import { loadConnections, parseEnv, type Connections, type Env } from '@chat/config'

const DispatcherEnv = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9091 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  DISPATCH_PREFETCH: Type.Integer({ minimum: 1, maximum: 65535, default: 256 }),
  DISPATCH_BATCH_MAX: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  DISPATCH_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  DISPATCH_BACKOFF_MAX_MS: Type.Integer({ minimum: 10, default: 10_000 }),
})

export interface DispatcherOptions {
  /** Unacknowledged deliveries per shard queue. @default 256 */
  readonly prefetch: number
  /** Messages stored in one transaction. @default 500 */
  readonly batchMax: number
  /** Attempts before a message that keeps failing is dead-lettered. @default 5 */
  readonly maxAttempts: number
  /** Longest pause after a transient failure (the backoff doubles from 100 ms up to it). @default 10_000 */
  readonly backoffMaxMs: number
  /** A persist transaction not done by then counts as a database outage. @default 15_000 */
  readonly persistTimeoutMs?: number
}

export interface DispatcherConfig {
  readonly host: string
  readonly port: number
  readonly logLevel: string
  readonly instanceId: string
  readonly dispatch: DispatcherOptions
  /** PostgreSQL and RabbitMQ; each required when the dispatcher runs on its own. */
  readonly connections: Connections
}

export function loadDispatcherConfig (env: Env, options: { requireServers: boolean }): DispatcherConfig {
  const e = parseEnv(DispatcherEnv, env)
  const connections = loadConnections(env, { required: options.requireServers ? ['DATABASE_URL', 'RABBITMQ_URL'] : [], who: 'the dispatcher' })
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    instanceId: e.INSTANCE_ID ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}`,
    dispatch: Object.freeze({
      prefetch: e.DISPATCH_PREFETCH,
      batchMax: e.DISPATCH_BATCH_MAX,
      maxAttempts: e.DISPATCH_MAX_ATTEMPTS,
      backoffMaxMs: e.DISPATCH_BACKOFF_MAX_MS,
    }),
    connections,
  })
}
