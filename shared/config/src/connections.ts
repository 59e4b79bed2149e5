import { ConfigError } from './config-error.js'
import { parseList } from './parse-env.js'
import type { Env } from './parse-env.js'

/** How to reach Redis: one server by URL, or the primary that a set of Sentinels names. */
export type RedisConnection =
  | { readonly kind: 'url', readonly url: string }
  | {
    readonly kind: 'sentinel'
    /** Sentinels to ask for the primary, tried in order. */
    readonly sentinels: readonly { readonly host: string, readonly port: number }[]
    /** The primary's name in the Sentinels' configuration (`sentinel monitor <name> …`). */
    readonly name: string
  }

export interface DatabaseConnection {
  /** The primary: every write, and every read that must see one. */
  readonly url: string
  /** Connections per process in each pool (the primary's, and the replica's when set). @default 10 */
  readonly poolMax: number
  /** A streaming replica for reads that may lag (history's scroll-back and search). Undefined: everything on `url`. */
  readonly readUrl?: string
}

/** The servers a process talks to; undefined where the variable is unset (the all-in-one process embeds a stand-in). */
export interface Connections {
  readonly database?: DatabaseConnection
  /** The nodes of one RabbitMQ cluster; a process connects to any and fails over to the others. */
  readonly rabbitmqUrls?: readonly string[]
  readonly redis?: RedisConnection
}

export type Server = 'DATABASE_URL' | 'RABBITMQ_URL' | 'REDIS_URL'

/**
 * Reads `DATABASE_URL`, `DATABASE_POOL_MAX`, `DATABASE_READ_URL`, `RABBITMQ_URL` (a comma list of one cluster's
 * nodes), `REDIS_URL` or `REDIS_SENTINELS` with `REDIS_SENTINEL_NAME`. Every value is checked here, at start: a bad
 * one throws a `ConfigError` of one line naming the variable and the rule. A server in `required` that is not set
 * throws too (`who`: the process, for that line).
 */
export function loadConnections (env: Env, options: { readonly required: readonly Server[], readonly who: string }): Connections {
  const set = (name: string): string | undefined => {
    const v = env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  const missing = (name: string): ConfigError =>
    new ConfigError(`${name} is required: ${options.who} runs on its own only against real servers (npm start runs everything embedded)`)

  const databaseUrl = set('DATABASE_URL')
  if (databaseUrl === undefined && options.required.includes('DATABASE_URL')) throw missing('DATABASE_URL')
  const poolMax = integer(set('DATABASE_POOL_MAX'), 'DATABASE_POOL_MAX', 1, 1000, 10)
  const readUrl = set('DATABASE_READ_URL')
  if (databaseUrl !== undefined) postgresUrl(databaseUrl, 'DATABASE_URL')
  if (readUrl !== undefined) {
    postgresUrl(readUrl, 'DATABASE_READ_URL')
    if (databaseUrl === undefined) throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL: the replica serves reads, the primary everything else')
  }

  const rabbit = set('RABBITMQ_URL')
  if (rabbit === undefined && options.required.includes('RABBITMQ_URL')) throw missing('RABBITMQ_URL')
  const rabbitmqUrls = rabbit === undefined ? undefined : amqpUrls(rabbit)

  const redis = redisConnection(set('REDIS_URL'), set('REDIS_SENTINELS'), set('REDIS_SENTINEL_NAME'))
  if (redis === undefined && options.required.includes('REDIS_URL')) throw missing('REDIS_URL (or REDIS_SENTINELS)')

  return Object.freeze({
    ...(databaseUrl === undefined ? {} : { database: Object.freeze({ url: databaseUrl, poolMax, ...(readUrl === undefined ? {} : { readUrl }) }) }),
    ...(rabbitmqUrls === undefined ? {} : { rabbitmqUrls }),
    ...(redis === undefined ? {} : { redis }),
  })
}

function integer (value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`${name}: an integer from ${min} to ${max}, got '${value}'`)
  return n
}

function postgresUrl (value: string, name: string): void {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new ConfigError(`${name}: a postgres://user@host:port/database URL`)
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new ConfigError(`${name}: a postgres:// URL, not ${u.protocol}//`)
}

function amqpUrls (value: string): readonly string[] {
  const urls = parseList(value)
  if (urls.length === 0) throw new ConfigError('RABBITMQ_URL: one AMQP URL, or a comma list of the nodes of one cluster')
  const vhosts = new Set<string>()
  for (const url of urls) {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new ConfigError('RABBITMQ_URL: each entry an amqp://user:pass@host:port/vhost URL')
    }
    if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw new ConfigError(`RABBITMQ_URL: each entry an amqp:// or amqps:// URL, not ${u.protocol}//`)
    vhosts.add(u.pathname === '' ? '/' : u.pathname)
  }
  if (vhosts.size > 1) throw new ConfigError('RABBITMQ_URL: every node of the list must name the same virtual host')
  return Object.freeze(urls)
}

function redisConnection (url: string | undefined, sentinels: string | undefined, name: string | undefined): RedisConnection | undefined {
  if (sentinels === undefined) {
    if (name !== undefined) throw new ConfigError('REDIS_SENTINEL_NAME needs REDIS_SENTINELS (host:port,host:port,…)')
    if (url === undefined) return undefined
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new ConfigError('REDIS_URL: a redis://[:password@]host[:port][/db] URL')
    }
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`REDIS_URL: a redis:// or rediss:// URL, not ${u.protocol}//`)
    return Object.freeze({ kind: 'url', url })
  }
  if (url !== undefined) throw new ConfigError('REDIS_URL and REDIS_SENTINELS: set one of them, not both')
  if (name === undefined) throw new ConfigError('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name of the primary the Sentinels monitor')
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new ConfigError('REDIS_SENTINEL_NAME: 1-64 characters of A-Z a-z 0-9 _ . -')
  const list = parseList(sentinels).map((entry) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(entry)
    const port = Number(m?.[2])
    if (m === null || port < 1 || port > 65535) throw new ConfigError(`REDIS_SENTINELS: a comma list of host:port, got '${entry}'`)
    return Object.freeze({ host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port })
  })
  if (list.length === 0) throw new ConfigError('REDIS_SENTINELS: a comma list of host:port')
  return Object.freeze({ kind: 'sentinel', sentinels: Object.freeze(list), name })
}
