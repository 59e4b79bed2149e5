import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { freshDatabase, serverUrl } from '@chat/testing'
import { openPostgresDatabase } from '../src/database.postgres.js'
import { createChatStore, StoreErrorCode, StoreUnavailableError } from '../src/index.js'
import { chatDatabaseContract, tablesOf } from './database.contract.js'
import { inbound, missingId } from './fixtures.js'
import { postgresFactory } from './targets.js'

/** A local port nothing listens on: bound by the OS, then released. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const isUnavailable = (err: unknown): boolean => err instanceof StoreUnavailableError && err.code === StoreErrorCode.UNAVAILABLE

await test('an unreachable database: calls reject with StoreUnavailableError, ping() is false', async () => {
  const database = await openPostgresDatabase({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/none`, connectTimeoutMs: 2_000 })
  const store = createChatStore(database)
  try {
    const sender = { id: missingId(), username: 'x', createdAt: new Date().toISOString() }
    await assert.rejects(store.messages.persistBatch([inbound(missingId(), sender)]), (err: unknown) => {
      assert.ok(isUnavailable(err), String(err))
      assert.equal((err as Error & { cause: { code: string } }).cause.code, 'ECONNREFUSED')
      return true
    })
    await assert.rejects(store.rooms.isMember(missingId(), missingId()), isUnavailable)
    await assert.rejects(database.migrate(), isUnavailable)
    assert.equal(await store.ping(), false)
  } finally {
    await store.close()
  }
})

const base = await serverUrl('DATABASE_URL')
const factory = await postgresFactory('database')
if (base === undefined || factory === undefined) {
  await test.skip('ChatDatabase (postgres): DATABASE_URL does not answer')
} else {
  await chatDatabaseContract('postgres', factory)

  await test('concurrent migrate() from separate pools on an empty database: all succeed, applied once', async (t) => {
    const fresh = await freshDatabase(base, 'migrate_race')
    t.after(() => fresh.drop())
    const databases = await Promise.all(Array.from({ length: 4 }, () => openPostgresDatabase({ url: fresh.url, maxConnections: 1 })))
    t.after(() => Promise.all(databases.map((d) => d.close())))
    await Promise.all(databases.map((d) => d.migrate()))
    const [first] = databases
    assert.ok(first !== undefined)
    assert.equal((await tablesOf(first)).length, 7)
    const [row] = await first.client.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')
    assert.equal(row?.n, 1)
  })

  await test('the built adapter (dist/) migrates from the shipped migrations/', async (t) => {
    const fresh = await freshDatabase(base, 'dist')
    t.after(() => fresh.drop())
    // Imported by URL so that typecheck does not need dist/; turbo builds before it tests.
    const built = await import(new URL('../dist/database.postgres.js', import.meta.url).href) as { openPostgresDatabase: typeof openPostgresDatabase }
    const database = await built.openPostgresDatabase({ url: fresh.url })
    t.after(() => database.close())
    await database.migrate()
    assert.equal((await tablesOf(database)).length, 7)
  })
}
