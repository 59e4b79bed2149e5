import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate as drizzleMigrate } from 'drizzle-orm/pglite/migrator'
import * as schema from './schema.js'
import { MIGRATIONS_FOLDER } from './migrations-folder.js'
import type { ChatDatabase } from './database.js'
import type { SqlClient, SqlQueryable } from './sql-client.js'

export interface PgliteDatabaseOptions {
  /** Directory of the database files, created when missing. @default undefined (in memory, gone on close) */
  dataDir?: string
}

interface PgliteQuerier {
  query<T> (text: string, params?: unknown[]): Promise<{ rows: T[] }>
}

function queryable (pg: PgliteQuerier): SqlQueryable {
  return {
    async query<Row extends object> (text: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await pg.query<Row>(text, [...params])).rows
    },
  }
}

/**
 * A ChatDatabase on PGlite (PostgreSQL compiled to WebAssembly) inside this process: the embedded default, for
 * `npm start` on a bare machine and for tests. One connection: statements and transactions run one at a time, so
 * it suits one process only (never point two processes at one dataDir).
 */
export async function openPgliteDatabase (opts: PgliteDatabaseOptions = {}): Promise<ChatDatabase> {
  // PGlite creates only the last directory of the path: make its parents (a fresh checkout has no .data/).
  if (opts.dataDir !== undefined) await mkdir(opts.dataDir, { recursive: true })
  const pg = opts.dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir: opts.dataDir })
  const db = drizzle({ client: pg, schema })
  const client: SqlClient = {
    ...queryable(pg),
    async transaction<T> (fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      return await pg.transaction(async (tx) => await fn(queryable(tx)))
    },
  }
  // One process, one connection: an advisory lock would not keep two migrate() calls of this process apart (they
  // share the session), so they queue here instead.
  let migrating: Promise<void> = Promise.resolve()
  let closing: Promise<void> | undefined

  return {
    db,
    client,
    dialect: 'pglite',

    async migrate () {
      const run = migrating.then(async () => { await drizzleMigrate(db, { migrationsFolder: MIGRATIONS_FOLDER }) })
      migrating = run.catch(() => {})
      await run
    },

    async ping () {
      if (closing !== undefined || pg.closed) return false
      try {
        await pg.query('SELECT 1')
        return true
      } catch {
        return false
      }
    },

    async close () {
      closing ??= pg.closed ? Promise.resolve() : pg.close()
      await closing
    },
  }
}
