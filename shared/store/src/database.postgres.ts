import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator'
import * as schema from './schema.js'
import { MIGRATIONS_FOLDER } from './migrations-folder.js'
import { classifyError } from './store-errors.js'
import type { ChatDatabase } from './database.js'
import type { SqlClient, SqlQueryable } from './sql-client.js'

export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database`; any libpq-style parameters postgres.js understands. */
  url: string
  /** Connections in the pool (`DATABASE_POOL_MAX`), and in the replica's pool when `readUrl` is set. @default 10 */
  maxConnections?: number
  /**
   * A streaming replica of `url` (`DATABASE_READ_URL`) for reads that may lag; see `ChatDatabase.replica`.
   * Its pool connects lazily like the primary's, under `application_name` `{applicationName}:replica`.
   */
  readUrl?: string
  /** How long to wait for a connection to open before the call fails (and for ping() to answer). @default 10_000 */
  connectTimeoutMs?: number
  /** `application_name` the server shows in pg_stat_activity. @default 'chat' */
  applicationName?: string
}

// Key of the session-level advisory lock migrate() holds: an arbitrary constant reserved for this purpose
// ('chatmigr' in ASCII). Any other advisory lock user in the database must not pick the same number.
const MIGRATION_LOCK_KEY = '7163384345479735922'

type Sql = postgres.Sql

function queryable (sql: postgres.ISql): SqlQueryable {
  return {
    async query<Row extends object> (text: string, params: readonly unknown[] = []): Promise<Row[]> {
      // prepare: a named statement per connection, so after its first use the statement needs no Parse/Describe.
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })
      return rows as unknown as Row[]
    },
  }
}

function sqlClient (sql: Sql): SqlClient {
  return {
    ...queryable(sql),
    async transaction<T> (fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      return await sql.begin(async (tx) => await fn(queryable(tx))) as T
    },
  }
}

/**
 * A ChatDatabase on a PostgreSQL server through a postgres.js pool. Connects lazily: opening never fails for an
 * unreachable server (ping() tells, and calls throw StoreUnavailableError), so a service can start and report
 * itself not ready. Named prepared statements are used, so a pooler in transaction mode must support them.
 */
export async function openPostgresDatabase (opts: PostgresDatabaseOptions): Promise<ChatDatabase> {
  const url = new URL(opts.url)
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new TypeError(`url must be postgres:// or postgresql://, not ${url.protocol}//`)
  }
  const maxConnections = opts.maxConnections ?? 10
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) throw new RangeError('maxConnections must be a positive integer')
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) throw new RangeError('connectTimeoutMs must be positive (ms)')
  const applicationName = opts.applicationName ?? 'chat'

  if (opts.readUrl !== undefined) {
    const r = new URL(opts.readUrl)
    if (r.protocol !== 'postgres:' && r.protocol !== 'postgresql:') throw new TypeError(`readUrl must be postgres:// or postgresql://, not ${r.protocol}//`)
  }

  const connect = (max: number, name: string, url = opts.url): Sql => postgres(url, {
    max,
    connect_timeout: connectTimeoutMs / 1000,
    connection: { application_name: name },
    // Notices ("schema already exists, skipping" from the migrator) would otherwise go to console.log.
    onnotice: () => {},
  })
  const sql = connect(maxConnections, applicationName)
  const replicaSql = opts.readUrl === undefined ? undefined : connect(maxConnections, `${applicationName}:replica`, opts.readUrl)
  const db = drizzle({ client: sql, schema })
  let closing: Promise<void> | undefined

  return {
    db,
    client: sqlClient(sql),
    ...(replicaSql === undefined ? {} : { replica: queryable(replicaSql) }),
    dialect: 'postgres',

    async migrate () {
      // The lock lives on its own connection rather than one reserved from the pool: a pool of one would then have
      // nothing left to migrate with, and drizzle's migrator needs a pool (it opens its own transaction).
      const lock = connect(1, `${applicationName}:migrate`)
      try {
        await lock.unsafe(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`)
        try {
          await drizzleMigrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
        } finally {
          await lock.unsafe(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => {})
        }
      } catch (err) {
        throw classifyError(err)
      } finally {
        // Ending the session releases the lock even if the unlock above could not be sent.
        await lock.end({ timeout: 1 })
      }
    },

    async ping () {
      if (closing !== undefined) return false
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), connectTimeoutMs)
        timer.unref()
      })
      const answer = sql.unsafe('SELECT 1').then(() => true, () => false)
      try {
        return await Promise.race([answer, timeout])
      } finally {
        clearTimeout(timer)
      }
    },

    async close () {
      // Queries in flight get 5 s to finish; then their connections are destroyed.
      closing ??= Promise.all([sql.end({ timeout: 5 }), replicaSql?.end({ timeout: 5 })]).then(() => {})
      await closing
    },
  }
}
