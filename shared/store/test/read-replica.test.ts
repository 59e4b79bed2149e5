// DATABASE_READ_URL on a real streaming replica (a throwaway primary and replica on ports of their own): scroll-back
// reads from the replica once it has caught up with the room, and from the primary while it lags, so a caller
// always sees what the primary had committed (its own messages included).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import postgres from 'postgres'
import { startPostgresReplicaPair, waitFor } from '@chat/testing'
import { openPostgresDatabase } from '../src/database.postgres.js'
import { createChatStore } from '../src/index.js'
import { createUser, inbound } from './fixtures.js'

const pair = await startPostgresReplicaPair()
if (pair === undefined) {
  if (process.env.CI === 'true') throw new Error('the PostgreSQL server binaries are needed for the read-replica test')
  await test.skip('read replica: no PostgreSQL server binaries (initdb) on this machine')
} else {
  await test('page() reads from the replica when it has caught up with the room, from the primary while it lags', async (t) => {
    t.after(() => pair.stop())
    const database = await openPostgresDatabase({ url: pair.primaryUrl, readUrl: pair.replicaUrl, applicationName: 'replica-test' })
    const store = createChatStore(database)
    t.after(() => store.close())
    const replica = postgres(pair.replicaUrl, { max: 1, onnotice: () => {} })
    t.after(() => replica.end({ timeout: 1 }))
    await database.migrate()
    const alice = await createUser(store, 'alice')
    const room = await store.rooms.createRoom({ creatorId: alice.id, name: 'r', visibility: 'public' })
    await store.messages.persistBatch([1, 2, 3].map(() => inbound(room.id, alice)))
    const replicaLastSeq = async (): Promise<number> =>
      Number((await replica`SELECT last_seq FROM rooms WHERE id = ${room.id}`)[0]?.last_seq ?? -1)
    /** The last statement the store's replica connection ran (pg_stat_activity on the replica). */
    const replicaLastQuery = async (): Promise<string> =>
      String((await replica`SELECT query FROM pg_stat_activity WHERE application_name = 'replica-test:replica'`)[0]?.query ?? '')

    // 1. Caught up: the page itself runs on the replica.
    await waitFor(async () => await replicaLastSeq() === 3, { what: 'the replica to replay the room' })
    const page = await store.messages.page(room.id, { before: 4, limit: 10 })
    assert.deepEqual(page.messages.map((m) => m.seq), [1, 2, 3])
    assert.match(await replicaLastQuery(), /FROM messages WHERE room_id = \$1 AND seq < \$2/)

    // 2. Lagging (replay paused): the caller's new message is on the primary only, and the page still shows it.
    await replica`SELECT pg_wal_replay_pause()`
    t.after(() => replica`SELECT pg_wal_replay_resume()`.catch(() => {}))
    await waitFor(async () => (await replica`SELECT pg_get_wal_replay_pause_state() AS s`)[0]?.s === 'paused', { what: 'replay paused' })
    await store.messages.persistBatch([inbound(room.id, alice)])
    const fresh = await store.messages.page(room.id, { limit: 10 })
    assert.deepEqual(fresh.messages.map((m) => m.seq), [1, 2, 3, 4])
    assert.equal(await replicaLastSeq(), 3, 'the replica had not replayed it')
    assert.match(await replicaLastQuery(), /SELECT last_seq AS "lastSeq" FROM rooms/, 'the replica was only asked how far it is')

    // 3. Replay resumed: back on the replica.
    await replica`SELECT pg_wal_replay_resume()`
    await waitFor(async () => await replicaLastSeq() === 4, { what: 'the replica to catch up' })
    assert.deepEqual((await store.messages.page(room.id, { limit: 10 })).messages.map((m) => m.seq), [1, 2, 3, 4])
    assert.match(await replicaLastQuery(), /FROM messages WHERE room_id = \$1 ORDER BY seq DESC/)
  })
}
