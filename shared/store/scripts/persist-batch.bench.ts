// persistBatch throughput, one batch at a time (what one dispatcher consumer does).
//
//   npm run bench -w @chat/store                       # PostgreSQL at the SPEC default URL (a scratch database)
//   npm run bench -w @chat/store -- postgres://u@h/db  # another server (a scratch database is created on it)
//   npm run bench -w @chat/store -- pglite             # embedded PGlite in memory
//
// Each batch spreads its messages over 10 rooms (a batch of 1 touches one room), all new, so every batch does the
// full work: lock rooms, idempotency lookup, insert, counters, read markers, commit.
import { randomBytes } from 'node:crypto'
import { DEFAULT_URLS, freshDatabase } from '@chat/testing'
import { newId } from '@chat/schemas'
import type { InboundMessage } from '@chat/schemas'
import { createChatStore } from '../src/index.js'
import type { ChatDatabase } from '../src/index.js'
import { openPgliteDatabase } from '../src/database.pglite.js'
import { openPostgresDatabase } from '../src/database.postgres.js'

const ROOMS = 10
const SIZES = [1, 50, 500]
const RUN_MS = 3_000
const WARMUP_BATCHES = 20

const target = process.argv[2] ?? DEFAULT_URLS.DATABASE_URL

async function open (): Promise<{ database: ChatDatabase, label: string, drop: () => Promise<void> }> {
  if (target === 'pglite') return { database: await openPgliteDatabase({}), label: 'pglite (in memory)', drop: async () => {} }
  const fresh = await freshDatabase(target, 'bench')
  return { database: await openPostgresDatabase({ url: fresh.url }), label: `postgres ${new URL(target).host}`, drop: fresh.drop }
}

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

const { database, label, drop } = await open()
try {
  await database.migrate()
  const store = createChatStore(database)
  const user = await store.users.createUser(`bench_${randomBytes(4).toString('hex')}`, 'x')
  if (user === 'taken') throw new Error('taken')
  const rooms: string[] = []
  for (let i = 0; i < ROOMS; i++) rooms.push((await store.rooms.createRoom({ creatorId: user.id, name: `bench ${i}`, visibility: 'public' })).id)

  let n = 0
  const batch = (size: number): InboundMessage[] => Array.from({ length: size }, () => {
    n++
    return {
      v: 1,
      id: newId(),
      roomId: rooms[n % ROOMS] as string,
      senderId: user.id,
      senderName: user.username,
      type: 'TALK',
      content: `benchmark message number ${n} with a little text in it`,
      clientMsgId: `b-${n}`,
      sentAt: new Date().toISOString(),
    }
  })

  process.stdout.write(`persistBatch on ${label}, ${ROOMS} rooms, one batch at a time, ${RUN_MS} ms per size\n`)
  process.stdout.write('batch size  batches/s  messages/s  p50 ms  p99 ms\n')
  for (const size of SIZES) {
    for (let i = 0; i < WARMUP_BATCHES; i++) await store.messages.persistBatch(batch(size))
    const latencies: number[] = []
    const start = performance.now()
    while (performance.now() - start < RUN_MS) {
      const input = batch(size)
      const t0 = performance.now()
      await store.messages.persistBatch(input)
      latencies.push(performance.now() - t0)
    }
    const seconds = (performance.now() - start) / 1000
    latencies.sort((a, b) => a - b)
    const row = [
      String(size).padStart(10),
      (latencies.length / seconds).toFixed(0).padStart(9),
      (latencies.length * size / seconds).toFixed(0).padStart(10),
      percentile(latencies, 0.5).toFixed(2).padStart(6),
      percentile(latencies, 0.99).toFixed(2).padStart(6),
    ]
    process.stdout.write(`${row.join('  ')}\n`)
  }
  await store.close()
} finally {
  await database.close()
  await drop()
}
