/**
 * History scroll-back benchmark: `GET /api/rooms/:id/messages?before=<random seq>&limit=50` on a room of 1,000,000
 * messages, through the history service (its own process, real PostgreSQL, Redis and RabbitMQ) with autocannon at
 * 50 connections, against the floor: the same SQL the store issues, sent straight through postgres.js with the
 * service's pool size at the same concurrency, from a process of its own.
 *
 *   npx turbo run build && node --import tsx bench/history.ts [--keep] [--profile] [--quiet-wait]
 *
 *   --keep      keep the seeded database (`bench_history_<messages>`) for the next run instead of dropping it
 *   --profile   run the history process with --cpu-prof and print where its CPU time went
 *   --quiet-wait  before each measurement wait (up to 3 min) until the machine is under 30 % busy (shared machines)
 *   BENCH_SECONDS (15 per measurement), BENCH_WARMUP_SECONDS (5), BENCH_CONNECTIONS (50), BENCH_MESSAGES (1000000),
 *   BENCH_ROUNDS (3: each round measures both, alternating which goes first; medians are reported),
 *   BENCH_ACCESS_CACHE_MS (unset: the service's default; 0 makes every request ask Redis and PostgreSQL again),
 *   DATABASE_URL, REDIS_URL, RABBITMQ_URL (defaults: the servers of this machine, as in the README)
 *
 * Why the direct loops run in a process of their own: the REST figure includes a client process (autocannon) apart
 * from the server, and the database alone is only measured fairly when its client, too, does not share an event
 * loop with the load generator's bookkeeping. Both clients share the machine's cores with PostgreSQL, as the
 * service does. The last line of output is one JSON object with every figure (docs/performance.md, "History").
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { Redis } from 'ioredis'
import { createChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { ChatApi, DEFAULT_URLS, REPO_ROOT, freshVhost, startService, uniqueName, type ServiceProcess } from '@chat/testing'

const env = process.env
const SECONDS = Number(env.BENCH_SECONDS ?? 15)
const WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 5)
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50)
const MESSAGES = Number(env.BENCH_MESSAGES ?? 1_000_000)
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3)
const LIMIT = 50
/** The history service's pool: openPostgresDatabase's default `maxConnections`, which main.ts does not change. */
const POOL = 10
const ROOM_NAME = `bench-${MESSAGES}`
const USERNAME = 'bench'
const PASSWORD = 'bench-password'

interface Figures {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
}

/** A `before` that always leaves a full page below it: uniform over [LIMIT + 1, MESSAGES + 1]. */
function randomBefore (): number {
  return LIMIT + 1 + Math.floor(Math.random() * (MESSAGES - LIMIT + 1))
}

/**
 * The store's scroll-back statement, read from its source so the baseline cannot drift from it: PAGE_BEFORE with
 * MESSAGE_COLUMNS substituted. Parameters: room id, before, limit + 1 (the store fetches one more to learn hasMore).
 */
function storePageBeforeSql (): string {
  const source = readFileSync(join(REPO_ROOT, 'shared/store/src/message-store.ts'), 'utf8')
  const constant = (name: string): string => {
    const m = source.match(new RegExp(`const ${name} = \`([^\`]*)\``))
    if (m?.[1] === undefined) throw new Error(`${name} not found in shared/store/src/message-store.ts`)
    return m[1]
  }
  // eslint-disable-next-line no-template-curly-in-string -- the placeholder as written in the store's source
  return constant('PAGE_BEFORE').replace('${MESSAGE_COLUMNS}', constant('MESSAGE_COLUMNS'))
}

function percentile (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

// ---------------------------------------------------------------------------------------------------------------
// The direct baseline, run as a child process of this script (BENCH_ROLE=direct).

async function directWorker (): Promise<void> {
  const sql = postgres(env.BENCH_DATABASE_URL ?? '', { max: POOL, onnotice: () => {} })
  const text = storePageBeforeSql()
  const roomId = env.BENCH_ROOM_ID ?? ''
  const query = async (): Promise<number> => (await sql.unsafe(text, [roomId, randomBefore(), LIMIT + 1], { prepare: true })).length

  async function run (seconds: number, record: boolean): Promise<Figures> {
    const latencies: number[] = []
    let errors = 0
    const start = performance.now()
    const deadline = start + seconds * 1000
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now()
        try {
          if (await query() < LIMIT) errors++
          if (record) latencies.push(performance.now() - t)
        } catch {
          errors++
        }
      }
    }))
    const elapsed = (performance.now() - start) / 1000
    const sorted = Float64Array.from(latencies).sort()
    return { requests: latencies.length, seconds: elapsed, rps: latencies.length / elapsed, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), errors }
  }

  await run(WARMUP_SECONDS, false)
  process.stdout.write('measure-start\n')
  const figures = await run(SECONDS, true)
  // The pool stays open until the parent has read its backends' CPU time (it closes our stdin then).
  process.stdout.write(`${JSON.stringify(figures)}\n`)
  process.stdin.resume()
  await new Promise((resolve) => process.stdin.once('end', resolve))
  await sql.end({ timeout: 5 })
}

async function runDirect (databaseUrl: string, roomId: string, dbName: string): Promise<{ figures: Figures, cpu: CpuUse }> {
  const self = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, ['--import', 'tsx', self], {
    env: { ...env, BENCH_ROLE: 'direct', BENCH_DATABASE_URL: databaseUrl, BENCH_ROOM_ID: roomId },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  let meter: CpuMeter | undefined
  let cpu: CpuUse | undefined
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8')
    if (meter === undefined && out.includes('measure-start\n')) meter = new CpuMeter({ client: child.pid ?? 0 }, dbName)
    if (meter !== undefined && cpu === undefined && /\}\n$/.test(out)) {
      cpu = meter.stop()
      child.stdin.end()
    }
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0 || cpu === undefined) throw new Error(`direct worker exited with ${String(code)}`)
  return { figures: JSON.parse(out.trim().split('\n').at(-1) ?? '') as Figures, cpu }
}

// ---------------------------------------------------------------------------------------------------------------
// Where the CPU went during a measured run, from /proc (Linux): the load generator, the service, this database's
// PostgreSQL backends, Redis (shared with anything else on the machine) and the whole machine.

type CpuUse = Record<string, number>

const TICKS_PER_SECOND = 100

function procTicks (pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime + stime (fields 14 and 15 of the line)
  } catch {
    return 0
  }
}

function pidsMatching (test: (cmdline: string) => boolean): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (test(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '))) pids.push(Number(entry))
    } catch {}
  }
  return pids
}

function machineTicks (): { busy: number, total: number } {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
  return { busy: total - idle, total }
}

class CpuMeter {
  readonly #named: Record<string, number>
  readonly #dbName: string
  readonly #start: Map<number, number>
  readonly #machine: { busy: number, total: number }
  readonly #startedAt = performance.now()

  constructor (named: Record<string, number>, dbName: string) {
    this.#named = named
    this.#dbName = dbName
    this.#start = new Map([...this.#pids()].map((pid) => [pid, procTicks(pid)]))
    this.#machine = machineTicks()
  }

  #backends (): number[] {
    return pidsMatching((c) => c.startsWith('postgres: ') && c.includes(` ${this.#dbName} `))
  }

  #redis (): number[] {
    return pidsMatching((c) => c.startsWith('/usr/bin/redis-server') || c.startsWith('redis-server'))
  }

  #pids (): Set<number> {
    return new Set([...Object.values(this.#named), ...this.#backends(), ...this.#redis()])
  }

  /** CPU-seconds per component over the run, and the machine's busy share. Read in one pass over /proc. */
  stop (): CpuUse {
    const m = machineTicks()
    const now = new Map([...this.#pids()].map((pid) => [pid, procTicks(pid)]))
    // A process gone since the start (ticks 0) counts as nothing: the callers keep theirs alive until this ran.
    const used = (pid: number): number => Math.max(0, ((now.get(pid) ?? 0) - (this.#start.get(pid) ?? 0)) / TICKS_PER_SECOND)
    const out: CpuUse = {}
    for (const [name, pid] of Object.entries(this.#named)) out[name] = used(pid)
    out.postgres = this.#backends().reduce((a, pid) => a + used(pid), 0)
    out.redis = this.#redis().reduce((a, pid) => a + used(pid), 0)
    const measured = Object.values(out).reduce((a, b) => a + b, 0)
    out.machineBusy = (m.busy - this.#machine.busy) / TICKS_PER_SECOND
    out.others = Math.max(0, out.machineBusy - measured)
    out.wallSeconds = (performance.now() - this.#startedAt) / 1000
    return out
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The REST side: autocannon in this process, the service in its own.

async function runRest (baseUrl: string, roomId: string, token: string, seconds: number): Promise<Figures> {
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [{
      method: 'GET',
      setupRequest: (req) => ({ ...req, path: `/api/rooms/${roomId}/messages?before=${randomBefore()}&limit=${LIMIT}` }),
    }],
  })
  const total = result.requests.total
  return {
    requests: total,
    seconds: result.duration,
    rps: total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Setup: database (seeded once, kept with --keep), vhost, Redis prefix, the service, a user and the room.

async function ensureDatabase (baseUrl: string, keep: boolean): Promise<{ name: string, url: string, drop: () => Promise<void> }> {
  const name = keep ? `bench_history_${MESSAGES}` : uniqueName('bench_history')
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} })
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`
    if (exists === undefined) await admin.unsafe(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      if (keep) return
      const a = postgres(baseUrl, { max: 1, onnotice: () => {} })
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await a.end()
      }
    },
  }
}

/** The room of MESSAGES messages, seeded in one INSERT … SELECT generate_series (about 10–20 s for a million). */
async function ensureRoom (databaseUrl: string, api: ChatApi, token: string, userId: string): Promise<string> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const [found] = await sql<Array<{ id: string }>>`SELECT r.id FROM rooms r JOIN room_members m ON m.room_id = r.id
      WHERE r.name = ${ROOM_NAME} AND r.last_seq = ${MESSAGES} AND m.user_id = ${userId}`
    if (found !== undefined) {
      log(`reusing room ${found.id} (${MESSAGES} messages)`)
      return found.id
    }
    const room = await api.ok<{ id: string }>('POST', '/api/rooms', { name: ROOM_NAME, visibility: 'private' }, token)
    const started = performance.now()
    // Rows like the dispatcher writes: seq 1..N, ~100-character contents, sent_at one second apart.
    await sql`INSERT INTO messages (id, room_id, seq, sender_id, sender_name, type, content, client_msg_id, sent_at)
      SELECT gen_random_uuid(), ${room.id}::uuid, g, ${userId}::uuid, ${USERNAME}, 'TALK',
             'message ' || g || ': ' || repeat('lorem ipsum ', 7), 'seed-' || g,
             timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
      FROM generate_series(1, ${MESSAGES}::int) AS g`
    await sql`UPDATE rooms SET last_seq = ${MESSAGES} WHERE id = ${room.id}`
    await sql`UPDATE room_members SET last_read_seq = ${MESSAGES} WHERE room_id = ${room.id}`
    await sql.unsafe('VACUUM (ANALYZE) messages')
    log(`seeded ${MESSAGES} messages into room ${room.id} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return room.id
  } finally {
    await sql.end()
  }
}

/** Committed and rolled-back transactions of the database so far: each autocommit statement is one. */
async function transactions (databaseUrl: string, name: string): Promise<number> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    // Statistics reach the shared counters when a backend goes idle (at most about a second late).
    await sql`SELECT pg_stat_force_next_flush()`
    const [row] = await sql<Array<{ n: string }>>`SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = ${name}`
    return Number(row?.n ?? 0)
  } finally {
    await sql.end()
  }
}

async function explain (databaseUrl: string, roomId: string): Promise<{ custom: string, generic: string }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const text = storePageBeforeSql()
    const before = randomBefore()
    // The plan for these values (what a fresh prepared statement gets for its first executions)…
    const literal = text.replace('$1', `'${roomId}'`).replace('$2', String(before)).replace('$3', String(LIMIT + 1))
    const custom = (await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${literal}`)).map((r) => String(r['QUERY PLAN'])).join('\n')
    // …and the generic plan PostgreSQL may switch a long-lived prepared statement to after five executions.
    const generic = await sql.begin(async (tx) => {
      await tx.unsafe('SET LOCAL plan_cache_mode = force_generic_plan')
      await tx.unsafe(`PREPARE bench_page (uuid, int8, int8) AS ${text}`)
      const rows = await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_page('${roomId}', ${before}, ${LIMIT + 1})`)
      await tx.unsafe('DEALLOCATE bench_page')
      return rows.map((r) => String(r['QUERY PLAN'])).join('\n')
    })
    return { custom, generic }
  } finally {
    await sql.end()
  }
}

/** Self time per function and per package from a V8 .cpuprofile, top first. */
function summarizeProfile (dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (file === undefined) return '(no profile written)'
  interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[], startTime: number, endTime: number }
  let total = 0
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0
    if (hits === 0) continue
    total += hits
    const { functionName, url, lineNumber } = n.callFrame
    const short = url.replace(/^file:\/\//, '').replace(REPO_ROOT, '')
    const fn = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits)
    const pkg = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)'
      ? functionName
      : short.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? (short.startsWith('node:') || short === '' ? 'node core / native' : short.split('/').slice(0, 2).join('/'))
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits)
  }
  const top = (m: Map<string, number>, n: number): string => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`).join('\n')
  return `profile ${file}: ${total} samples\nby package:\n${top(byPackage, 15)}\nby function (self):\n${top(byFunction, 25)}`
}

/**
 * `--quiet-wait`: before each measurement, wait (at most `maxMs`) until the machine was less than `threshold` busy
 * over two seconds, so that other work on a shared machine disturbs the figures less. Logs what it found.
 */
async function waitQuiet (maxMs = 180_000, threshold = 0.3): Promise<void> {
  const deadline = performance.now() + maxMs
  for (;;) {
    const a = machineTicks()
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const b = machineTicks()
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total)
    if (busy < threshold) return
    if (performance.now() > deadline) {
      log(`machine still ${(100 * busy).toFixed(0)} % busy after ${maxMs / 1000} s of waiting: measuring anyway`)
      return
    }
  }
}

function log (line: string): void {
  process.stderr.write(`${line}\n`)
}

function row (name: string, f: Figures): string {
  return `| ${name.padEnd(28)} | ${f.rps.toFixed(0).padStart(9)} | ${f.p50Ms.toFixed(2).padStart(8)} | ${f.p99Ms.toFixed(2).padStart(8)} | ${String(f.requests).padStart(9)} | ${String(f.errors).padStart(6)} |`
}

async function main (): Promise<void> {
  const keep = process.argv.includes('--keep')
  const profile = process.argv.includes('--profile')
  const databaseBase = env.DATABASE_URL ?? DEFAULT_URLS.DATABASE_URL
  const redisUrl = env.REDIS_URL ?? DEFAULT_URLS.REDIS_URL
  const rabbitUrl = env.RABBITMQ_URL ?? DEFAULT_URLS.RABBITMQ_URL

  const database = await ensureDatabase(databaseBase, keep)
  const migrator = await openPostgresDatabase({ url: database.url, applicationName: 'bench-migrate' })
  await migrator.migrate()
  await createChatStore(migrator).close()

  const vhost = await freshVhost(rabbitUrl, 'bench')
  const prefix = `${uniqueName('bench')}:`
  const profileDir = join(REPO_ROOT, 'bench-output', 'history-profile')
  if (profile) {
    rmSync(profileDir, { recursive: true, force: true })
    mkdirSync(profileDir, { recursive: true })
  }
  let service: ServiceProcess | undefined
  const redis = new Redis(redisUrl)
  try {
    const svc = await startService('history', {
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      JWT_SECRET: uniqueName('secret').padEnd(48, 'x'),
      LOG_LEVEL: 'warn',
      LOGIN_RATE: '1000',
      // The in-process device-version and membership cache (services/history, ACCESS_CACHE_MS); 0 turns it off.
      ...(env.BENCH_ACCESS_CACHE_MS === undefined ? {} : { ACCESS_CACHE_MS: env.BENCH_ACCESS_CACHE_MS }),
    }, profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {})
    service = svc
    const api = new ChatApi(svc.url)
    const user = await api.user(USERNAME, PASSWORD, 'bench-device')
    const roomId = await ensureRoom(database.url, api, user.accessToken, user.userId)

    const check = await api.request<{ messages: unknown[], hasMore: boolean }>('GET', `/api/rooms/${roomId}/messages?before=${randomBefore()}&limit=${LIMIT}`, undefined, user.accessToken)
    if (check.status !== 200 || check.body.messages.length !== LIMIT) throw new Error(`sanity check failed: ${check.status}`)

    interface Round { rest: Figures, direct: Figures, restCpu: CpuUse, directCpu: CpuUse, restStatements: number }
    const rounds: Round[] = []
    const quiet = process.argv.includes('--quiet-wait')
    const measureRest = async (): Promise<{ figures: Figures, cpu: CpuUse, statements: number }> => {
      if (quiet) await waitQuiet()
      log(`REST: warm-up ${WARMUP_SECONDS} s, then ${SECONDS} s at ${CONNECTIONS} connections`)
      await runRest(svc.url, roomId, user.accessToken, WARMUP_SECONDS)
      const xacts = await transactions(database.url, database.name)
      const meter = new CpuMeter({ client: process.pid, service: svc.pid }, database.name)
      const figures = await runRest(svc.url, roomId, user.accessToken, SECONDS)
      const cpu = meter.stop()
      return { figures, cpu, statements: (await transactions(database.url, database.name) - xacts) / figures.requests }
    }
    const measureDirect = async (): Promise<{ figures: Figures, cpu: CpuUse }> => {
      if (quiet) await waitQuiet()
      log(`direct postgres.js (pool ${POOL}): warm-up ${WARMUP_SECONDS} s, then ${SECONDS} s at ${CONNECTIONS} loops`)
      return await runDirect(database.url, roomId, database.name)
    }
    for (let i = 0; i < ROUNDS; i++) {
      log(`round ${i + 1}/${ROUNDS}`)
      // Alternating which goes first spreads slow drifts (other load on the machine, caches) over both.
      let r, d
      if (i % 2 === 0) {
        r = await measureRest()
        d = await measureDirect()
      } else {
        d = await measureDirect()
        r = await measureRest()
      }
      rounds.push({ rest: r.figures, direct: d.figures, restCpu: r.cpu, directCpu: d.cpu, restStatements: r.statements })
    }
    const plans = await explain(database.url, roomId)
    await svc.stop()

    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b)
      const mid = Math.floor(s.length / 2)
      return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
    }
    const perRequest = (c: CpuUse, f: Figures, keys: string[]): number => 1e6 * keys.reduce((a, k) => a + (c[k] ?? 0), 0) / f.requests
    const ratios = rounds.map((x) => x.rest.rps / x.direct.rps)
    const ratio = median(ratios)
    const restCpuUs = median(rounds.map((x) => perRequest(x.restCpu, x.rest, ['client', 'service', 'postgres', 'redis'])))
    const directCpuUs = median(rounds.map((x) => perRequest(x.directCpu, x.direct, ['client', 'postgres', 'redis'])))
    const summary = (pick: (x: Round) => Figures): Figures => {
      const fs = rounds.map(pick)
      return {
        requests: fs.reduce((a, f) => a + f.requests, 0),
        seconds: fs.reduce((a, f) => a + f.seconds, 0),
        rps: median(fs.map((f) => f.rps)),
        p50Ms: median(fs.map((f) => f.p50Ms)),
        p99Ms: median(fs.map((f) => f.p99Ms)),
        errors: fs.reduce((a, f) => a + f.errors, 0),
      }
    }
    const rest = summary((x) => x.rest)
    const direct = summary((x) => x.direct)

    const out: string[] = []
    out.push('', `GET /api/rooms/:id/messages?before=<random>&limit=${LIMIT} on a room of ${MESSAGES} messages, ${CONNECTIONS} concurrent,`,
      `${ROUNDS} round(s) of ${SECONDS} s each after ${WARMUP_SECONDS} s of warm-up, REST and direct alternating`, '')
    out.push('| path                         |     req/s |  p50 ms  |  p99 ms  |  requests | errors |')
    out.push('|------------------------------|----------:|---------:|---------:|----------:|-------:|')
    for (const [i, x] of rounds.entries()) {
      out.push(row(`REST (autocannon) #${i + 1}`, x.rest))
      out.push(row(`direct postgres.js #${i + 1}`, x.direct))
    }
    out.push(row('REST, median', rest))
    out.push(row('direct, median', direct))
    out.push('', `ratio REST / direct per round: ${ratios.map((x) => `${(100 * x).toFixed(1)} %`).join(', ')}`)
    out.push(`ratio REST / direct (median): ${(100 * ratio).toFixed(1)} % (target >= 60 %: ${ratio >= 0.6 ? 'met' : 'NOT met'})`)
    out.push('', 'CPU per request (µs) in the measured runs; "client" is autocannon or the direct loops, "others" the rest of the machine:')
    const cpuRow = (name: string, c: CpuUse, f: Figures): string => `  ${name.padEnd(12)} ${Object.entries(c).filter(([k]) => k !== 'wallSeconds' && k !== 'machineBusy')
      .map(([k, v]) => `${k} ${(1e6 * v / f.requests).toFixed(0)}`).join(', ')}; machine busy ${(100 * (c.machineBusy ?? 0) / ((c.wallSeconds ?? 1) * cpus().length)).toFixed(0)} %`
    for (const [i, x] of rounds.entries()) {
      out.push(cpuRow(`REST #${i + 1}`, x.restCpu, x.rest))
      out.push(cpuRow(`direct #${i + 1}`, x.directCpu, x.direct))
    }
    out.push(`  medians: REST ${restCpuUs.toFixed(0)} µs, direct ${directCpuUs.toFixed(0)} µs of CPU a request (ours, without "others"):`,
      `  on ${cpus().length} cores given to this alone, the CPU-bound ratio would be about ${(100 * directCpuUs / restCpuUs).toFixed(0)} %`)
    out.push(`  statements per REST request (pg_stat_database transactions): ${rounds.map((x) => x.restStatements.toFixed(3)).join(', ')}`)
    out.push('', 'EXPLAIN (ANALYZE, BUFFERS), custom plan:', plans.custom, '', 'EXPLAIN (ANALYZE, BUFFERS), generic plan (plan_cache_mode = force_generic_plan):', plans.generic)
    if (profile) out.push('', summarizeProfile(profileDir))
    process.stdout.write(`${out.join('\n')}\n`)
    process.stdout.write(`${JSON.stringify({
      bench: 'history-page',
      messages: MESSAGES,
      limit: LIMIT,
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      pool: POOL,
      rounds,
      rest,
      direct,
      ratios: ratios.map((x) => Number(x.toFixed(3))),
      ratio: Number(ratio.toFixed(3)),
      targetMet: ratio >= 0.6,
      cpuUsPerRequest: { rest: Math.round(restCpuUs), direct: Math.round(directCpuUs) },
      accessCacheMs: env.BENCH_ACCESS_CACHE_MS ?? 'default',
      node: process.version,
      cpus: cpus().length,
    })}\n`)
  } finally {
    await service?.stop()
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      keys.push(...batch)
      cursor = next
    } while (cursor !== '0')
    if (keys.length > 0) await redis.unlink(...keys)
    redis.disconnect()
    await vhost.drop()
    await database.drop()
  }
}

if (env.BENCH_ROLE === 'direct') await directWorker()
else await main()
