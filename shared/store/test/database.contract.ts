import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createChatStore, StoreError, StoreErrorCode, users } from '../src/index.js'
import type { ChatDatabase } from '../src/index.js'
import { missingId } from './fixtures.js'
import type { DatabaseFactory } from './fixtures.js'

const TABLES = ['devices', 'messages', 'refresh_families', 'refresh_tokens', 'room_members', 'rooms', 'users']

async function journalEntries (): Promise<number> {
  const journal = JSON.parse(await readFile(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }
  return journal.entries.length
}

async function appliedMigrations (database: ChatDatabase): Promise<number> {
  const [row] = await database.client.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')
  return row?.n ?? -1
}

export async function tablesOf (database: ChatDatabase): Promise<string[]> {
  const rows = await database.client.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
  return rows.map((r) => r.name)
}

export async function chatDatabaseContract (name: string, factory: DatabaseFactory): Promise<void> {
  await test(`ChatDatabase (${name})`, async (suite) => {
    const database = await factory.open()
    suite.after(() => database.close())

    await suite.test('migrate() creates the tables; running it again is a no-op', async () => {
      assert.deepEqual(await tablesOf(database), TABLES)
      const applied = await appliedMigrations(database)
      assert.equal(applied, await journalEntries())
      await database.migrate()
      await database.migrate()
      assert.equal(await appliedMigrations(database), applied)
      assert.deepEqual(await tablesOf(database), TABLES)
    })

    await suite.test('db is a drizzle handle typed with the schema', async () => {
      const rows = await database.db.select({ id: users.id }).from(users).limit(1)
      assert.ok(Array.isArray(rows))
      assert.equal(database.dialect, name)
    })

    await suite.test('ping() answers true while open; close() is idempotent; a closed store refuses calls', async () => {
      const own = await factory.open()
      const store = createChatStore(own)
      assert.equal(await own.ping(), true)
      assert.equal(await store.ping(), true)
      await store.close()
      await store.close()
      await own.close()
      assert.equal(await own.ping(), false)
      assert.equal(await store.ping(), false)
      const isClosed = (err: unknown): boolean => err instanceof StoreError && err.code === StoreErrorCode.CLOSED
      await assert.rejects(store.messages.lastSeq(missingId()), isClosed)
      await assert.rejects(store.rooms.listMine(missingId()), isClosed)
      await assert.rejects(store.users.getUser(missingId()), isClosed)
    })
  })
}
