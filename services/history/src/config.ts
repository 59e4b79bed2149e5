import Type from 'typebox'
import { loadConnections, loadJwtSettings, parseEnv, type Connections, type Env, type JwtSettings } from '@chat/config'

const HistoryEnv = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  REDIS_PREFIX: Type.String({ default: 'chat:', maxLength: 64 }),
  LOGIN_RATE: Type.Integer({ minimum: 1, default: 10 }),
  CHAT_MIGRATE: Type.Union([Type.Literal('0'), Type.Literal('1')], { default: '1' }),
  PRESENCE_TTL_MS: Type.Integer({ minimum: 200, default: 30_000 }),
  REFRESH_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  PUBLISH_BUFFER: Type.Integer({ minimum: 1, default: 10_000 }),
  PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  ACCESS_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
})

export interface HistoryConfig {
  readonly host: string
  readonly port: number
  readonly logLevel: string
  readonly redisPrefix: string
  /** Login attempts per minute per username and per address. @default 10 */
  readonly loginRatePerMinute: number
  /** Apply pending migrations at start (under an advisory lock). @default true */
  readonly migrate: boolean
  readonly presenceTtlMs: number
  /** Refresh token lifetime. @default 30 days */
  readonly refreshTtlMs: number
  readonly jwt: JwtSettings
  readonly publishBuffer: number
  readonly publishTimeoutMs: number
  /**
   * How long a device's token version and a room membership read from Redis or the database are reused in process
   * (`ACCESS_CACHE_MS`): the longest a revocation whose broadcast was lost, or a leave made through another history
   * instance, can go unnoticed by this one for reads. 0 asks every time. @default 1_000 (ms)
   */
  readonly accessCacheMs: number
  /** PostgreSQL (and its read replica), RabbitMQ and Redis; each required when history runs on its own. */
  readonly connections: Connections
}

export function loadHistoryConfig (env: Env, options: { requireServers: boolean }): HistoryConfig {
  const e = parseEnv(HistoryEnv, env)
  const connections = loadConnections(env, { required: options.requireServers ? ['DATABASE_URL', 'RABBITMQ_URL', 'REDIS_URL'] : [], who: 'the history service' })
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    redisPrefix: e.REDIS_PREFIX,
    loginRatePerMinute: e.LOGIN_RATE,
    migrate: e.CHAT_MIGRATE === '1',
    presenceTtlMs: e.PRESENCE_TTL_MS,
    refreshTtlMs: e.REFRESH_TTL_DAYS * 24 * 3600 * 1000,
    jwt: loadJwtSettings(env, { needPrivateKey: true }),
    publishBuffer: e.PUBLISH_BUFFER,
    publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    accessCacheMs: e.ACCESS_CACHE_MS,
    connections,
  })
}
