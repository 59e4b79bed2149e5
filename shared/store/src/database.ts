import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type * as schema from './schema.js'
import type { SqlClient, SqlQueryable } from './sql-client.js'

/** A drizzle handle typed with this package's schema, whichever driver is under it. */
export type ChatDb = PgDatabase<PgQueryResultHKT, typeof schema>

export type Dialect = 'postgres' | 'pglite'

/**
 * One PostgreSQL database (a postgres.js pool or an embedded PGlite) with its lifecycle. Made by
 * `openPostgresDatabase` (`@chat/store/postgres`) or `openPgliteDatabase` (`@chat/store/pglite`); the stores
 * (`createChatStore`) are one implementation over either, because PGlite is real PostgreSQL.
 */
export interface ChatDatabase {
  /** The drizzle handle, for queries the stores do not offer (and for tests). */
  readonly db: ChatDb
  /** The same database as the stores' lean path for hot statements (see SqlClient). */
  readonly client: SqlClient
  /**
   * A streaming replica of it (`DATABASE_READ_URL`), for reads that may lag: the stores send scroll-back there
   * only when the replica has caught up with the room (MessageStore.page). Undefined: every read on `client`.
   */
  readonly replica?: SqlQueryable
  readonly dialect: Dialect
  /**
   * Applies the checked-in migrations (migrations/) that are not applied yet, with drizzle's migrator, all pending
   * ones in one transaction. Idempotent, and safe when several processes start at once: on PostgreSQL it runs under
   * a session-level advisory lock. The only way this package ever creates or alters a table.
   * Throws `StoreUnavailableError` when the database cannot be reached.
   */
  migrate (): Promise<void>
  /** True when `SELECT 1` answers within the connect timeout. Never throws. */
  ping (): Promise<boolean>
  /** Ends the pool (waiting briefly for queries in flight) or closes PGlite. Idempotent. */
  close (): Promise<void>
}
