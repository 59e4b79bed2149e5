import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPgliteDatabase } from '../src/database.pglite.js'
import { createChatStore } from '../src/index.js'
import { chatDatabaseContract } from './database.contract.js'
import { pgliteFactory } from './targets.js'

await chatDatabaseContract('pglite', pgliteFactory)

await test('PGlite with a dataDir keeps its data across close and reopen', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'chat-store-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  const first = createChatStore(await (async () => {
    const d = await openPgliteDatabase({ dataDir })
    await d.migrate()
    return d
  })())
  const user = await first.users.createUser('Persistent', 'h')
  await first.close()
  const database = await openPgliteDatabase({ dataDir })
  const second = createChatStore(database)
  t.after(() => second.close())
  await database.migrate()
  assert.deepEqual(await second.users.getUserByName('persistent'), user)
})

await test('the built package finds migrations/ from dist/', async () => {
  // dist/ exists once `npm run build` ran (turbo builds before it tests). Imported by URL so typecheck needs no dist.
  const built = new URL('../dist/migrations-folder.js', import.meta.url)
  assert.ok(existsSync(built), 'dist/ is missing: run `npx turbo run build --filter=@chat/store` first')
  const { MIGRATIONS_FOLDER } = await import(built.href) as { MIGRATIONS_FOLDER: string }
  assert.ok(existsSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json')), MIGRATIONS_FOLDER)
})

await test('PGlite creates a dataDir whose parents do not exist yet (a fresh checkout has no .data/)', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'chat-store-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const database = await openPgliteDatabase({ dataDir: join(root, '.data', 'pglite') })
  t.after(() => database.close())
  await database.migrate()
  assert.equal(await database.ping(), true)
})
