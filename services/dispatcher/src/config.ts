import { hostname } from 'node:os'
import Type from 'typebox'
import { ConfigError, parseEnv, parseList, type Env } from '@chat/config'

const DispatcherEnv = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9091 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  RABBITMQ_SHARDS: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  DISPATCH_PREFETCH: Type.Integer({ minimum: 1, maximum: 65535, default: 256 }),
  DISPATCH_BATCH_MAX: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  DISPATCH_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  DISPATCH_RETRY_DELAYS_MS: Type.String({ default: '1000,5000,30000' }),
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
  readonly shards: number
  /** Delays of the retry queues, ms. @default [1_000, 5_000, 30_000] */
  readonly retryDelaysMs: readonly number[]
  readonly dispatch: DispatcherOptions
  readonly databaseUrl?: string
  readonly rabbitmqUrl?: string
}

export function loadDispatcherConfig (env: Env, options: { requireServers: boolean }): DispatcherConfig {
  const e = parseEnv(DispatcherEnv, env)
  const retryDelaysMs = parseList(e.DISPATCH_RETRY_DELAYS_MS).map(Number)
  if (retryDelaysMs.length === 0 || retryDelaysMs.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ConfigError('DISPATCH_RETRY_DELAYS_MS: a comma list of positive integers (ms), shortest first')
  }
  const need = (name: 'DATABASE_URL' | 'RABBITMQ_URL'): string | undefined => {
    const v = env[name]
    if ((v === undefined || v === '') && options.requireServers) {
      throw new ConfigError(`${name} is required: the dispatcher runs on its own only against real servers (npm start runs everything embedded)`)
    }
    return v === '' ? undefined : v
  }
  const databaseUrl = need('DATABASE_URL')
  const rabbitmqUrl = need('RABBITMQ_URL')
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    instanceId: e.INSTANCE_ID ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}`,
    shards: e.RABBITMQ_SHARDS,
    retryDelaysMs,
    dispatch: Object.freeze({
      prefetch: e.DISPATCH_PREFETCH,
      batchMax: e.DISPATCH_BATCH_MAX,
      maxAttempts: e.DISPATCH_MAX_ATTEMPTS,
      backoffMaxMs: e.DISPATCH_BACKOFF_MAX_MS,
    }),
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(rabbitmqUrl === undefined ? {} : { rabbitmqUrl }),
  })
}
