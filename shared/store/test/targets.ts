import { after } from 'node:test'
import { freshDatabase, serverUrl } from '@chat/testing'
import { openPgliteDatabase } from '../src/database.pglite.js'
import { openPostgresDatabase } from '../src/database.postgres.js'
import type { DatabaseFactory } from './fixtures.js'

/** PGlite in memory: every open() is a new, migrated database. */
export const pgliteFactory: DatabaseFactory = {
  sharesData: false,
  async open () {
    const database = await openPgliteDatabase({})
    await database.migrate()
    return database
  },
}

/**
 * The real PostgreSQL of DATABASE_URL: a fresh database for this test file (dropped after it), and every open() a
 * new pool on it. Undefined when the server does not answer (serverUrl printed the loud line; under CI it threw).
 */
export async function postgresFactory (tag: string): Promise<DatabaseFactory | undefined> {
  const base = await serverUrl('DATABASE_URL')
  if (base === undefined) return undefined
  const fresh = await freshDatabase(base, tag)
  after(() => fresh.drop())
  return {
    sharesData: true,
    async open () {
      const database = await openPostgresDatabase({ url: fresh.url, applicationName: `test:${tag}` })
      await database.migrate()
      return database
    },
  }
}
