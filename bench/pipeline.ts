// The pipeline benchmark (issue #4): messages persisted and delivered per second through the whole split
// deployment (edge → RabbitMQ → dispatcher → PostgreSQL → RabbitMQ → edge), with the dispatcher's batch
// sizes and send-to-delivery latency; and in the same run the floor of the parts: RabbitMQ alone
// (persistent messages through one quorum queue with confirms, published and consumed with amqplib) and
// PostgreSQL alone (the same batched insert, persistBatch at the batch size the dispatcher used).
// Prints the ratio of the pipeline to the slower of the two. Target: at least 50%.
//
//   node --import tsx bench/pipeline.ts [--seconds 20] [--warmup 5] [--rooms 16] [--senders 8] [--window 256] [--payload 200]
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import amqp from 'amqplib'
import WebSocket from 'ws'
import hdr from 'hdr-histogram-js'
import { ChatApi, SplitDeployment, freshDatabase, freshVhost, serverUrl, type TestUser } from '@chat/testing'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { newId, type InboundMessage } from '@chat/schemas'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    rooms: { type: 'string', default: '16' },
    senders: { type: 'string', default: '8' },
    window: { type: 'string', default: '256' },
    payload: { type: 'string', default: '200' },
    profile: { type: 'string' },
  },
})
const SECONDS = Number(args.seconds)
const WARMUP = Number(args.warmup)
const ROOMS = Number(args.rooms)
const SENDERS = Number(args.senders)
const WINDOW = Number(args.window)
const PAYLOAD = Number(args.payload)

const [pgUrl, amqpUrl, redisUrl] = [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL'), await serverUrl('REDIS_URL')]
if (pgUrl === undefined || amqpUrl === undefined || redisUrl === undefined) throw new Error('the benchmark needs PostgreSQL, RabbitMQ and Redis')

const pad = (n: number): string => 'x'.repeat(Math.max(0, n))
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

interface Figures {
  readonly msgsPerSec: number
  readonly p50Ms?: number
  readonly p99Ms?: number
  readonly extra?: Record<string, number | string>
}

// --- 1. the pipeline ---------------------------------------------------------------------------

function frame (command: string, headers: Record<string, string>, body = ''): string {
  let s = command + '\n'
  for (const [k, v] of Object.entries(headers)) s += `${k}:${v}\n`
  return `${s}\n${body}\0`
}

/**
 * A minimal STOMP-over-WS connection for the generator: the edge sends one frame per WebSocket message, so
 * each message is handed over as is (command = first line); callers look only at the bytes they need.
 */
async function stompConnection (url: string, token: string, onFrame: (command: string, frame: Buffer) => void): Promise<WebSocket> {
  const ws = new WebSocket(url, ['v12.stomp'])
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  let connected: ((err?: Error) => void) | undefined
  ws.on('message', (data: Buffer) => {
    if (data.length <= 2) return // heart-beat
    const nl = data.indexOf(10)
    const command = data.toString('latin1', 0, nl < 0 ? data.length : nl)
    if (connected !== undefined && (command === 'CONNECTED' || command === 'ERROR')) {
      connected(command === 'ERROR' ? new Error(data.toString()) : undefined)
      connected = undefined
    }
    onFrame(command, data)
  })
  await new Promise<void>((resolve, reject) => {
    connected = (err) => { if (err === undefined) resolve(); else reject(err) }
    ws.send(frame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '0,0', Authorization: `Bearer ${token}` }))
  })
  return ws
}

const CONTENT = Buffer.from('"content":"t')

/** Reads `t<ts> <sender> ...` from a MESSAGE's body without parsing the JSON. */
function stamp (frame: Buffer): { ts: number, sender: number } | undefined {
  const i = frame.indexOf(CONTENT)
  if (i < 0) return undefined
  const from = i + CONTENT.length
  const space = frame.indexOf(32, from)
  const next = frame.indexOf(32, space + 1)
  return { ts: Number(frame.toString('latin1', from, space)), sender: Number(frame.toString('latin1', space + 1, next)) }
}

async function metricSum (url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}

async function pipeline (): Promise<Figures> {
  const db = await freshDatabase(pgUrl as string, 'benchpipe')
  const vhost = await freshVhost(amqpUrl as string, 'benchpipe')
  const d = await SplitDeployment.start({
    databaseUrl: db.url,
    rabbitmqUrl: vhost.url,
    redisUrl: redisUrl as string,
    env: { LOGIN_RATE: '100000', LOG_LEVEL: 'warn' },
    edgeEnv: { SEND_RATE: '100000', SEND_BURST: '100000' },
    // --profile <dir>: a V8 CPU profile of every service process, written when it exits.
    ...(args.profile === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] }),
  })
  try {
    const api = new ChatApi(d.api)
    const owner = await api.user('bench-owner')
    const senders: TestUser[] = []
    for (let i = 0; i < SENDERS; i++) senders.push(await api.user(`bench-sender-${i}`))
    const rooms: string[] = []
    for (let r = 0; r < ROOMS; r++) {
      const room = await api.createRoom(owner)
      for (const s of senders) await api.join(s, room)
      rooms.push(room)
    }
    const wsUrl = d.edges[0]?.wsUrl ?? ''
    const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 })
    let delivered = 0
    let measuring = false
    // Closed loop: a sender's window is released when its message is DELIVERED (not at its RECEIPT), so
    // the queues stay bounded and the latency is the system's, not a growing backlog's.
    const released: Array<() => void> = []
    const subscriber = await stompConnection(wsUrl, owner.accessToken, (command, data) => {
      if (command !== 'MESSAGE') return
      const s = stamp(data)
      if (s === undefined) return
      released[s.sender]?.()
      if (!measuring) return
      latency.recordValue(Math.max(1, Date.now() - s.ts))
      delivered++
    })
    let subReceipts = 0
    const subscribed = new Promise<void>((resolve) => {
      subscriber.on('message', (data: Buffer) => { if (data.subarray(0, 7).toString() === 'RECEIPT') { subReceipts++; if (subReceipts === ROOMS) resolve() } })
    })
    rooms.forEach((room, i) => subscriber.send(frame('SUBSCRIBE', { id: `s${i}`, destination: `/topic/rooms.${room}`, receipt: `sub${i}` })))
    await subscribed

    const load = { stopped: false }
    const body = (sender: number, n: number): string => JSON.stringify({ content: `t${Date.now()} ${sender} ${n} ${pad(PAYLOAD - 44)}` })
    await Promise.all(senders.map(async (s, si) => {
      const state: { outstanding: number, n: number, ws: WebSocket | undefined } = { outstanding: 0, n: 0, ws: undefined }
      // Keeps WINDOW SENDs without a RECEIPT in flight per sender.
      const pump = (): void => {
        const ws = state.ws
        if (ws === undefined) return
        while (!load.stopped && state.outstanding < WINDOW) {
          const room = rooms[(si + state.n) % rooms.length] as string
          ws.send(frame('SEND', { destination: `/app/rooms.${room}` }, body(si, state.n)))
          state.n++
          state.outstanding++
        }
      }
      released[si] = () => {
        state.outstanding--
        pump()
      }
      state.ws = await stompConnection(wsUrl, s.accessToken, () => {})
      pump()
    }))
    await sleep(WARMUP * 1000)
    const batchesBefore = await metricSum(d.dispatchers[0]?.url ?? '', 'chat_dispatcher_batch_size_count')
    const batchMsgsBefore = await metricSum(d.dispatchers[0]?.url ?? '', 'chat_dispatcher_batch_size_sum')
    measuring = true
    const started = performance.now()
    await sleep(SECONDS * 1000)
    measuring = false
    const elapsed = (performance.now() - started) / 1000
    const batches = await metricSum(d.dispatchers[0]?.url ?? '', 'chat_dispatcher_batch_size_count') - batchesBefore
    const batchMsgs = await metricSum(d.dispatchers[0]?.url ?? '', 'chat_dispatcher_batch_size_sum') - batchMsgsBefore
    load.stopped = true
    subscriber.terminate()
    return {
      msgsPerSec: delivered / elapsed,
      p50Ms: latency.getValueAtPercentile(50),
      p99Ms: latency.getValueAtPercentile(99),
      extra: { avgBatch: batches === 0 ? 0 : batchMsgs / batches, batchesPerSec: batches / elapsed },
    }
  } finally {
    await d.stop()
    await db.drop().catch(() => {})
    await vhost.drop().catch(() => {})
  }
}

// --- 2. RabbitMQ alone ---------------------------------------------------------------------------

async function rabbitAlone (window: number): Promise<Figures> {
  const vhost = await freshVhost(amqpUrl as string, 'benchrabbit')
  const conn = await amqp.connect(vhost.url)
  try {
    const pub = await conn.createConfirmChannel()
    const sub = await conn.createChannel()
    await pub.assertQueue('bench.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } })
    await sub.prefetch(window * 2)
    const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 })
    let consumed = 0
    let measuring = false
    // Closed loop as for the pipeline: a publisher's window is released when its message is consumed.
    const released: Array<() => void> = []
    await sub.consume('bench.quorum', (m) => {
      if (m === null) return
      released[Number(m.properties.appId)]?.()
      if (measuring) {
        consumed++
        latency.recordValue(Math.max(1, Date.now() - Number(m.properties.timestamp)))
      }
      sub.ack(m)
    })
    const load = { stopped: false }
    const payload = Buffer.from(pad(PAYLOAD))
    // The same shape as the pipeline: SENDERS publishers each with WINDOW confirms outstanding.
    const publishers = Array.from({ length: SENDERS }, async (_, si) => {
      let outstanding = 0
      await new Promise<void>((resolve) => {
        const pump = (): void => {
          if (load.stopped) { resolve(); return }
          while (outstanding < window && !load.stopped) {
            outstanding++
            // Confirmed like the edge's publishes; the window itself closes on consumption.
            pub.publish('', 'bench.quorum', payload, { persistent: true, timestamp: Date.now(), appId: String(si) }, () => {})
          }
        }
        released[si] = () => { outstanding--; pump() }
        pump()
      })
    })
    await sleep(WARMUP * 1000)
    measuring = true
    const started = performance.now()
    await sleep(SECONDS * 1000)
    measuring = false
    const elapsed = (performance.now() - started) / 1000
    load.stopped = true
    await Promise.race([Promise.all(publishers), sleep(5_000)])
    return { msgsPerSec: consumed / elapsed, p50Ms: latency.getValueAtPercentile(50), p99Ms: latency.getValueAtPercentile(99) }
  } finally {
    await conn.close().catch(() => {})
    await vhost.drop().catch(() => {})
  }
}

// --- 3. PostgreSQL alone ---------------------------------------------------------------------------

async function postgresAlone (batchSize: number): Promise<Figures> {
  const db = await freshDatabase(pgUrl as string, 'benchpg')
  const database = await openPostgresDatabase({ url: db.url })
  await database.migrate()
  const store = createChatStore(database)
  try {
    const user = await store.users.createUser('bench', 'x')
    if (user === 'taken') throw new Error('taken')
    const rooms = await Promise.all(Array.from({ length: ROOMS }, async () => (await store.rooms.createRoom({ creatorId: user.id, name: 'r', visibility: 'public' })).id))
    let n = 0
    const batch = (): InboundMessage[] => Array.from({ length: batchSize }, () => {
      n++
      return { v: 1, id: newId(), roomId: rooms[n % rooms.length] as string, senderId: user.id, senderName: 'bench', type: 'TALK', content: pad(PAYLOAD), clientMsgId: `c${n}`, sentAt: new Date().toISOString() }
    })
    const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 })
    // One batch at a time, like the dispatcher.
    const until = Date.now() + WARMUP * 1000
    while (Date.now() < until) await store.messages.persistBatch(batch())
    let stored = 0
    const started = performance.now()
    const end = started + SECONDS * 1000
    while (performance.now() < end) {
      const b = batch()
      const t = performance.now()
      await store.messages.persistBatch(b)
      latency.recordValue(Math.max(1, Math.round(performance.now() - t)))
      stored += b.length
    }
    const elapsed = (performance.now() - started) / 1000
    return { msgsPerSec: stored / elapsed, p50Ms: latency.getValueAtPercentile(50), p99Ms: latency.getValueAtPercentile(99), extra: { batch: batchSize } }
  } finally {
    await store.close()
    await db.drop().catch(() => {})
  }
}

// --- run ---------------------------------------------------------------------------------------------

const pipe = await pipeline()
const avgBatch = Math.max(1, Math.round(Number(pipe.extra?.avgBatch ?? 1)))
const rabbit = await rabbitAlone(WINDOW)
const postgres = await postgresAlone(avgBatch)
const floor = Math.min(rabbit.msgsPerSec, postgres.msgsPerSec)
const ratio = pipe.msgsPerSec / floor

const rows: Array<[string, Figures]> = [['pipeline (edge→rabbit→dispatcher→pg→rabbit→edge)', pipe], ['RabbitMQ alone (quorum, persistent, confirms)', rabbit], [`PostgreSQL alone (persistBatch of ${avgBatch})`, postgres]]
process.stdout.write(`\nPipeline benchmark: ${SENDERS} senders × ${WINDOW} messages in flight (closed loop: released on delivery), ${ROOMS} rooms, ${PAYLOAD}-byte payloads, ${SECONDS} s after ${WARMUP} s warm-up\n\n`)
process.stdout.write('| system | msgs/s | p50 ms | p99 ms |\n|---|---:|---:|---:|\n')
for (const [name, f] of rows) process.stdout.write(`| ${name} | ${fmt(f.msgsPerSec)} | ${f.p50Ms ?? '-'} | ${f.p99Ms ?? '-'} |\n`)
process.stdout.write(`\ndispatcher batches: average ${Number(pipe.extra?.avgBatch ?? 0).toFixed(1)} messages, ${fmt(Number(pipe.extra?.batchesPerSec ?? 0))} batches/s\n`)
process.stdout.write(`pipeline / slower part = ${fmt(pipe.msgsPerSec)} / ${fmt(floor)} = ${(ratio * 100).toFixed(0)}% (target ≥ 50%: ${ratio >= 0.5 ? 'PASS' : 'FAIL'})\n`)
process.stdout.write(JSON.stringify({ bench: 'pipeline', seconds: SECONDS, rooms: ROOMS, senders: SENDERS, window: WINDOW, payload: PAYLOAD, pipeline: pipe, rabbitmq: rabbit, postgres, ratio, target: 0.5, pass: ratio >= 0.5 }) + '\n')
process.exit(0)
