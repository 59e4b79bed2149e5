/**
 * The three systems a scenario runs against, behind one small interface: our split deployment (edge, dispatcher
 * and history as processes on the real RabbitMQ, PostgreSQL and Redis), RabbitMQ Web-STOMP used directly, and the
 * bare `ws` broadcast server. Each turns a layout (rooms, members, senders) into the connections a worker opens,
 * creating what it needs first (for ours: users, tokens, rooms and memberships through the REST API).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { ChatApi, REPO_ROOT, SplitDeployment, freshDatabase, freshVhost, type Disposable, type TestUser } from '@chat/testing'
import { connectFrame, sendPrefix, subscribeFrame } from './lean-stomp.js'
import type { ConnSpec, SystemKind } from './protocol.js'
import type { Watched } from './proc-monitor.js'
import { scrape, type Samples } from './service-metrics.js'

/** Who connects where: one entry per connection. */
export interface Layout {
  readonly rooms: number
  readonly conns: ReadonlyArray<{ readonly room: number, readonly user: number, readonly senderId?: number }>
  /** Room index → global sender ids. */
  readonly roomSenders: ReadonlyArray<readonly number[]>
  readonly totalSenders: number
  readonly heartbeat: readonly [number, number]
}

export interface Servers {
  readonly databaseUrl: string
  readonly rabbitmqUrl: string
  readonly redisUrl: string
  readonly webStompUrl: string
}

export interface SystemUnderTest {
  readonly kind: SystemKind
  readonly label: string
  /** The process that holds the client connections (its RSS is what S4 divides). */
  readonly connectionHolder: string
  start (): Promise<void>
  prepare (layout: Layout, log: (line: string) => void): Promise<ConnSpec[]>
  watched (): Watched[]
  stop (): Promise<void>
  /** Notes for the report (settings that differ from defaults). */
  notes (): string[]
  /** Server-side facts worth reporting after connecting (Web-STOMP: the node's file and socket limits). */
  serverFacts? (): Promise<Record<string, unknown>>
  /** Our services' /metrics (edge and dispatcher), for the pipeline figures. */
  snapshotMetrics? (): Promise<MetricsSnapshot>
  /** A V8 heap snapshot of the connection holder (when started with a heap directory); resolves with its path. */
  heapSnapshot? (label: string): Promise<string | undefined>
  /**
   * Polled while connections are opened: a reason to open no more (a server limit that must not be reached),
   * else undefined.
   */
  connectGuard? (): string | undefined
}

/** Node flags that let a heap snapshot be taken on SIGUSR2, into `dir`. */
function heapArgs (dir: string | undefined): string[] {
  if (dir === undefined) return []
  mkdirSync(dir, { recursive: true })
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`]
}

function endsWithBrace (path: string, size: number): boolean {
  const fd = openSync(path, 'r')
  try {
    const tail = Buffer.alloc(Math.min(64, size))
    readSync(fd, tail, 0, tail.length, size - tail.length)
    return tail.toString('latin1').trimEnd().endsWith('}')
  } finally {
    closeSync(fd)
  }
}

/** Signals `pid` to write a heap snapshot into `dir` and waits until the file stops growing; renames it `label-pid`. */
async function takeHeapSnapshot (pid: number, dir: string, label: string): Promise<string | undefined> {
  const before = new Set(readdirSync(dir))
  process.kill(pid, 'SIGUSR2')
  const deadline = Date.now() + 300_000
  let file: string | undefined
  let lastSize = -1
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    file ??= readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`))
    if (file === undefined) continue
    const size = statSync(join(dir, file)).size
    // Written in one go by the main thread: a size that held for a second (and a closing bracket) means done.
    if (size > 0 && size === lastSize && endsWithBrace(join(dir, file), size)) {
      const target = join(dir, `${label}-${pid}.heapsnapshot`)
      renameSync(join(dir, file), target)
      return target
    }
    lastSize = size
  }
  return undefined
}

export interface MetricsSnapshot {
  readonly edge: Samples
  readonly dispatcher: Samples
}

// --- process discovery --------------------------------------------------------------------------

interface ProcInfo { pid: number, ppid: number, comm: string }

function listProcs (): ProcInfo[] {
  const out: ProcInfo[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1')
      const open = stat.indexOf('(')
      const close = stat.lastIndexOf(')')
      const comm = stat.slice(open + 1, close)
      const ppid = Number(stat.slice(close + 2).split(' ')[1])
      out.push({ pid: Number(d), ppid, comm })
    } catch {
      // gone meanwhile
    }
  }
  return out
}

/** The RabbitMQ node (beam.smp), the PostgreSQL postmaster (with its backends) and Redis, when found. */
export function infraWatched (): Watched[] {
  const procs = listProcs()
  const byPid = new Map(procs.map((p) => [p.pid, p]))
  const w: Watched[] = []
  const beam = procs.find((p) => p.comm === 'beam.smp')
  if (beam !== undefined) w.push({ name: 'rabbitmq', role: 'infra', pid: beam.pid })
  const postmaster = procs.find((p) => p.comm === 'postgres' && byPid.get(p.ppid)?.comm !== 'postgres')
  if (postmaster !== undefined) w.push({ name: 'postgres', role: 'infra', pid: postmaster.pid, tree: true })
  const redis = procs.find((p) => p.comm === 'redis-server')
  if (redis !== undefined) w.push({ name: 'redis', role: 'infra', pid: redis.pid })
  return w
}

export function beamPid (): number | undefined {
  return listProcs().find((p) => p.comm === 'beam.smp')?.pid
}

/** The RabbitMQ node's CPU over `ms`, % of one core (0 when it cannot be read). */
async function beamCpuPctOver (ms: number): Promise<number> {
  const pid = beamPid()
  if (pid === undefined) return 0
  const ticks = (): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return Number(rest[11]) + Number(rest[12])
    } catch {
      return 0
    }
  }
  const a = ticks()
  await new Promise((resolve) => setTimeout(resolve, ms))
  return ((ticks() - a) / 100 / (ms / 1000)) * 100
}

async function reachable (host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = connect({ host, port })
    const done = (ok: boolean): void => { s.destroy(); resolve(ok) }
    s.setTimeout(2000, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

async function pool<T> (items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i] as T, i)
    }
  }))
}

// --- our system ---------------------------------------------------------------------------------

export interface OursOptions {
  readonly edges: number
  readonly dispatchers: number
  /** SEND_RATE / SEND_BURST for this run, when the scenario needs more than the defaults (20 / 40). */
  readonly sendRate?: number
  readonly sendBurst?: number
  readonly maxConnections: number
  /** Directory for `--cpu-prof` of every service process; undefined: no profiling. */
  readonly profileDir?: string
  /** Directory for heap snapshots of the edge (S4 `--heap`). */
  readonly heapDir?: string
  readonly receipts: boolean
}

interface CachedUser { user: TestUser, at: number }

/**
 * State shared by every run of our system in one invocation: one fresh database and vhost, the JWT secret and
 * Redis prefix (so tokens survive a restart of the processes between scenarios) and the users made so far
 * (scrypt makes each registration and login cost tens of ms of the history process's CPU).
 */
export class OursContext {
  readonly servers: Servers
  readonly jwtSecret = randomBytes(32).toString('base64url')
  readonly redisPrefix = `bench_${randomBytes(4).toString('hex')}:`
  readonly users = new Map<number, CachedUser>()
  /** `--keep-users`: the database (with its users) outlives the run, their refresh tokens are saved in `usersFile`. */
  readonly keepUsers: boolean
  database: Disposable | undefined
  vhost: Disposable | undefined

  constructor (servers: Servers, keepUsers = false) {
    this.servers = servers
    this.keepUsers = keepUsers
  }

  async open (): Promise<void> {
    this.database ??= this.keepUsers ? await this.#keptDatabase() : await freshDatabase(this.servers.databaseUrl, 'bench')
    this.vhost ??= await freshVhost(this.servers.rabbitmqUrl, 'bench')
  }

  /** Saves the users' latest tokens (refresh tokens rotate: the saved one must be the last issued). */
  saveUsers (): void {
    if (!this.keepUsers) return
    mkdirSync(dirname(KEPT_USERS_FILE), { recursive: true })
    writeFileSync(KEPT_USERS_FILE, JSON.stringify(Object.fromEntries([...this.users].map(([u, c]) => [u, c.user]))))
  }

  /** The kept database, created on first use; its users (from the file) come back stale, to be refreshed. */
  async #keptDatabase (): Promise<Disposable> {
    const admin = postgres(this.servers.databaseUrl, { max: 1, onnotice: () => {} })
    let existed: boolean
    try {
      existed = (await admin`SELECT 1 FROM pg_database WHERE datname = ${KEPT_DATABASE}`).length > 0
      if (!existed) await admin.unsafe(`CREATE DATABASE "${KEPT_DATABASE}"`)
    } finally {
      await admin.end()
    }
    if (existed && existsSync(KEPT_USERS_FILE)) {
      const saved = JSON.parse(readFileSync(KEPT_USERS_FILE, 'utf8')) as Record<string, TestUser>
      for (const [u, user] of Object.entries(saved)) this.users.set(Number(u), { user, at: 0 })
    }
    const url = new URL(this.servers.databaseUrl)
    url.pathname = `/${KEPT_DATABASE}`
    return { url: url.toString(), drop: async () => {} }
  }

  async close (): Promise<void> {
    await this.database?.drop().catch(() => {})
    await this.vhost?.drop().catch(() => {})
    this.database = undefined
    this.vhost = undefined
  }
}

const KEPT_DATABASE = 'bench_load_users'
const KEPT_USERS_FILE = join(REPO_ROOT, 'bench-output', 'load', 'users.json')

/** Access tokens live 15 minutes (shared/config jwt.ts): older than this, refresh before a run. */
const TOKEN_REFRESH_AFTER_MS = 5 * 60_000

export class OurSystem implements SystemUnderTest {
  readonly kind = 'ours' as const
  readonly label = 'ours (split)'
  readonly connectionHolder = 'edge'
  readonly #ctx: OursContext
  readonly #options: OursOptions
  #deployment: SplitDeployment | undefined
  #pidNames = new Map<number, string>()

  constructor (ctx: OursContext, options: OursOptions) {
    this.#ctx = ctx
    this.#options = options
  }

  get deployment (): SplitDeployment | undefined {
    return this.#deployment
  }

  async start (): Promise<void> {
    await this.#ctx.open()
    const env: Record<string, string> = {
      LOGIN_RATE: '100000',
      JWT_SECRET: this.#ctx.jwtSecret,
      REDIS_PREFIX: this.#ctx.redisPrefix,
      LOG_LEVEL: 'warn',
    }
    if (this.#options.sendRate !== undefined) env.SEND_RATE = String(this.#options.sendRate)
    if (this.#options.sendBurst !== undefined) env.SEND_BURST = String(this.#options.sendBurst)
    if (this.#options.profileDir !== undefined) mkdirSync(this.#options.profileDir, { recursive: true })
    this.#deployment = await SplitDeployment.start({
      databaseUrl: this.#ctx.database?.url ?? '',
      rabbitmqUrl: this.#ctx.vhost?.url ?? '',
      redisUrl: this.#ctx.servers.redisUrl,
      edges: this.#options.edges,
      dispatchers: this.#options.dispatchers,
      env,
      edgeEnv: { EDGE_MAX_CONNECTIONS: String(this.#options.maxConnections) },
      nodeArgs: [
        ...(this.#options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${this.#options.profileDir}`]),
        ...heapArgs(this.#options.heapDir),
      ],
    })
    const d = this.#deployment
    this.#pidNames = new Map()
    d.edges.forEach((e, i) => this.#pidNames.set(e.pid, d.edges.length > 1 ? `edge${i}` : 'edge'))
    d.dispatchers.forEach((p, i) => this.#pidNames.set(p.pid, d.dispatchers.length > 1 ? `dispatcher${i}` : 'dispatcher'))
    this.#pidNames.set(d.history.pid, 'history')
  }

  notes (): string[] {
    const n = [`${this.#options.edges} edge, ${this.#options.dispatchers} dispatcher, history; LOGIN_RATE=100000`]
    if (this.#options.sendRate !== undefined) n.push(`SEND_RATE=${this.#options.sendRate} SEND_BURST=${this.#options.sendBurst ?? ''} (the scenario sends faster than the default 20/s a session)`)
    if (this.#options.profileDir !== undefined) n.push(`--cpu-prof into ${this.#options.profileDir}`)
    return n
  }

  /** pid → service name of the last deployment started (kept after stop, for naming the .cpuprofile files). */
  pidNames (): Map<number, string> {
    return this.#pidNames
  }

  watched (): Watched[] {
    if (this.#deployment === undefined) return []
    return [...this.#pidNames].map(([pid, name]) => ({ name, role: 'server' as const, pid }))
  }

  async prepare (layout: Layout, log: (line: string) => void): Promise<ConnSpec[]> {
    const d = this.#deployment
    if (d === undefined) throw new Error('not started')
    const api = new ChatApi(d.history.url)
    const userIds = [...new Set(layout.conns.map((c) => c.user))].sort((a, b) => a - b)
    const now = Date.now()
    const missing = userIds.filter((u) => this.#ctx.users.get(u) === undefined)
    const stale = userIds.filter((u) => { const c = this.#ctx.users.get(u); return c !== undefined && now - c.at > TOKEN_REFRESH_AFTER_MS })
    if (missing.length > 0) {
      const t0 = Date.now()
      log(`  creating ${missing.length} users (register + login through REST; scrypt) ...`)
      await pool(missing, 8, async (u) => {
        const user = await api.user(`lb${u}`, 'bench-password-1')
        this.#ctx.users.set(u, { user, at: Date.now() })
      })
      log(`  users ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    }
    if (stale.length > 0) {
      await pool(stale, 16, async (u) => {
        const c = this.#ctx.users.get(u) as CachedUser
        const refreshed = await api.request('POST', '/api/auth/refresh', { refreshToken: c.user.refreshToken })
        if (refreshed.status === 200) {
          const pair = refreshed.body as { accessToken: string, refreshToken: string }
          this.#ctx.users.set(u, { user: { ...c.user, ...pair }, at: Date.now() })
        } else {
          // A kept user whose saved token no longer works (an interrupted run): log in again.
          this.#ctx.users.set(u, { user: await api.user(`lb${u}`, 'bench-password-1'), at: Date.now() })
        }
      })
      log(`  refreshed ${stale.length} access tokens`)
    }
    this.#ctx.saveUsers()
    const user = (u: number): TestUser => (this.#ctx.users.get(u) as CachedUser).user
    // Rooms: created by their first member; everyone else joins (public rooms). Each join stores an ENTER.
    const t1 = Date.now()
    const membersOf: Array<Set<number>> = Array.from({ length: layout.rooms }, () => new Set())
    for (const c of layout.conns) membersOf[c.room]?.add(c.user)
    const roomIds: string[] = new Array<string>(layout.rooms)
    await pool(membersOf, 8, async (members, r) => {
      const owner = [...members][0]
      if (owner === undefined) return
      roomIds[r] = await api.createRoom(user(owner), `bench-${r}`)
    })
    const joins: Array<[number, number]> = []
    membersOf.forEach((members, r) => { [...members].slice(1).forEach((u) => joins.push([u, r])) })
    await pool(joins, 16, async ([u, r]) => { await api.join(user(u), roomIds[r] as string) })
    log(`  ${layout.rooms} rooms, ${joins.length} joins in ${((Date.now() - t1) / 1000).toFixed(1)} s`)
    const edges = d.edges
    return layout.conns.map((c, index) => {
      const roomId = roomIds[c.room] as string
      const edge = edges[index % edges.length] ?? edges[0]
      return {
        index,
        url: edge?.wsUrl ?? '',
        protocols: ['v12.stomp'],
        connect: connectFrame({ host: 'chat', heartbeat: layout.heartbeat, bearer: user(c.user).accessToken }),
        subscribe: subscribeFrame(`s${index}`, `/topic/rooms.${roomId}`, 'sub'),
        room: c.room,
        ...(c.senderId === undefined ? {} : { sender: { id: c.senderId, prefix: sendPrefix(`/app/rooms.${roomId}`) } }),
        heartbeat: layout.heartbeat,
      }
    })
  }

  async heapSnapshot (label: string): Promise<string | undefined> {
    const pid = this.#deployment?.edges[0]?.pid
    if (pid === undefined || this.#options.heapDir === undefined) return undefined
    return await takeHeapSnapshot(pid, this.#options.heapDir, `${label}-edge`)
  }

  async snapshotMetrics (): Promise<MetricsSnapshot> {
    const d = this.#deployment
    if (d === undefined) throw new Error('not started')
    const [edge, dispatcher] = await Promise.all([scrape(`${d.edges[0]?.url ?? ''}/metrics`), scrape(`${d.dispatchers[0]?.url ?? ''}/metrics`)])
    return { edge, dispatcher }
  }

  async stop (): Promise<void> {
    const d = this.#deployment
    this.#deployment = undefined
    if (d === undefined) return
    // Generous: an edge with 10,000 sessions drains in batches, and --cpu-prof writes its file at a clean exit.
    await Promise.all(d.all().map(async (p) => await p.stop(60_000)))
  }
}

// --- RabbitMQ Web-STOMP -------------------------------------------------------------------------

export interface WebStompOptions {
  /** Durable subscriptions (a durable queue per subscriber) and persistent messages. */
  readonly durable: boolean
  readonly receipts: boolean
}

export class WebStompSystem implements SystemUnderTest {
  readonly kind = 'webstomp' as const
  readonly label: string
  readonly connectionHolder = 'rabbitmq'
  readonly #servers: Servers
  readonly #options: WebStompOptions
  #vhost: Disposable | undefined
  #socketsFloor: number | undefined
  #fdFloor: number | undefined

  constructor (servers: Servers, options: WebStompOptions) {
    this.#servers = servers
    this.#options = options
    this.label = options.durable ? 'webstomp (durable)' : 'webstomp (transient)'
  }

  async start (): Promise<void> {
    await this.#settle()
    const u = new URL(this.#servers.webStompUrl)
    if (!await reachable(u.hostname, Number(u.port || 80))) {
      // A fresh machine: the plugin may not be enabled yet.
      const r = spawnSync('bash', [`${REPO_ROOT}scripts/rabbitmq-plugins.sh`], { stdio: 'inherit' })
      if (r.status !== 0 || !await reachable(u.hostname, Number(u.port || 80))) {
        throw new Error(`Web-STOMP does not answer on ${this.#servers.webStompUrl}; run bash scripts/rabbitmq-plugins.sh`)
      }
    }
    // A vhost of its own: durable subscription queues go away with it.
    this.#vhost = await freshVhost(this.#servers.rabbitmqUrl, 'bench_ws')
  }

  notes (): string[] {
    return [this.#options.durable
      ? 'durable subscriptions (durable:true, auto-delete:false: a durable queue per subscriber), persistent:true sends'
      : 'transient: auto-delete subscription queues, non-persistent sends',
    'vhost of its own (CONNECT host header), guest/guest']
  }

  watched (): Watched[] {
    const pid = beamPid()
    return pid === undefined ? [] : [{ name: 'rabbitmq', role: 'server', pid }]
  }

  async prepare (layout: Layout): Promise<ConnSpec[]> {
    const vhost = decodeURIComponent(new URL(this.#vhost?.url ?? 'amqp://x/%2F').pathname.slice(1))
    const run = randomBytes(3).toString('hex')
    const subHeaders: Record<string, string> = this.#options.durable ? { durable: 'true', 'auto-delete': 'false' } : {}
    const sendHeaders: Record<string, string> = this.#options.durable ? { persistent: 'true' } : {}
    return layout.conns.map((c, index) => ({
      index,
      url: this.#servers.webStompUrl,
      protocols: ['v12.stomp'],
      connect: connectFrame({ host: vhost, heartbeat: layout.heartbeat, login: 'guest', passcode: 'guest' }),
      // A durable subscription's queue is named after its id: one id per connection.
      subscribe: subscribeFrame(`s${run}-${index}`, `/topic/rooms.r${c.room}`, 'sub', subHeaders),
      room: c.room,
      ...(c.senderId === undefined ? {} : { sender: { id: c.senderId, prefix: sendPrefix(`/topic/rooms.r${c.room}`, sendHeaders) } }),
      heartbeat: layout.heartbeat,
    }))
  }

  /**
   * Waits (bounded) until the broker has let go of a previous run: deleting a vhost with hundreds of durable queues
   * and a backlog goes on after the HTTP call returns, holding sockets and file handles, and until then new
   * connections time out at the node's file limit. Other users of the broker hold some too: the lowest readings
   * seen are the floor.
   */
  async #settle (): Promise<void> {
    const deadline = Date.now() + 180_000
    for (;;) {
      const f = await this.serverFacts()
      const sockets = Number(f.sockets_used ?? 0)
      const fds = Number(f.beam_open_fds ?? f.fd_used ?? 0)
      if (!Number.isFinite(sockets) || !Number.isFinite(fds)) return
      this.#socketsFloor = Math.min(this.#socketsFloor ?? sockets, sockets)
      this.#fdFloor = Math.min(this.#fdFloor ?? fds, fds)
      if (Date.now() > deadline) return
      if (sockets <= this.#socketsFloor + 20 && fds <= this.#fdFloor + 40) {
        // And not still busy (deleting queues, paging a backlog): under a third of a core over a second.
        const busyPct = await beamCpuPctOver(1000)
        if (busyPct < 33) return
      } else {
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  }

  /**
   * Web-STOMP stops accepting near the node's file-descriptor limit (1024 here), and reaching the limit itself is not
   * harmless: in one run the node's memory monitor crashed on `emfile`, the rabbit application lost Mnesia and the
   * shared broker refused everyone until `rabbitmqctl stop_app && rabbitmqctl start_app`. So the bench opens no more
   * Web-STOMP connections once the beam process has all but FD_HEADROOM of its descriptors open.
   */
  connectGuard (): string | undefined {
    const pid = beamPid()
    if (pid === undefined) return undefined
    try {
      const limits = readFileSync(`/proc/${pid}/limits`, 'latin1')
      const max = Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? Number.NaN)
      const open = readdirSync(`/proc/${pid}/fd`).length
      if (Number.isFinite(max) && open >= max - FD_HEADROOM) {
        return `the RabbitMQ node had ${open} of its ${max} file descriptors open (the bench keeps ${FD_HEADROOM} free: at the limit the node crashes)`
      }
    } catch {
      return undefined
    }
    return undefined
  }

  /** fd and socket use of the RabbitMQ node (management API): why Web-STOMP stops accepting connections. */
  async serverFacts (): Promise<Record<string, unknown>> {
    const u = new URL(this.#servers.rabbitmqUrl)
    const auth = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username || 'guest')}:${decodeURIComponent(u.password || 'guest')}`).toString('base64')
    try {
      const res = await fetch(`http://${u.hostname}:15672/api/nodes`, { headers: { authorization: auth } })
      const nodes = await res.json() as Array<Record<string, unknown>>
      const n = nodes[0] ?? {}
      // The management API's fd_used leaves out Web-STOMP's sockets; the process's own table does not.
      const pid = beamPid()
      let beamFds: number | undefined
      try {
        beamFds = pid === undefined ? undefined : readdirSync(`/proc/${pid}/fd`).length
      } catch {
        beamFds = undefined
      }
      return { fd_used: n.fd_used, fd_total: n.fd_total, sockets_used: n.sockets_used, sockets_total: n.sockets_total, beam_open_fds: beamFds, mem_used: n.mem_used, proc_used: n.proc_used }
    } catch (err) {
      return { error: String(err) }
    }
  }

  async stop (): Promise<void> {
    const v = this.#vhost
    this.#vhost = undefined
    // The broker may be busy deleting a backlog: retry for a while, and never leave the vhost behind silently.
    for (let attempt = 1; attempt <= 10; attempt++) {
      if (v === undefined) break
      try {
        await v.drop()
        break
      } catch (err) {
        if (attempt >= 10) {
          process.stderr.write(`could not delete the Web-STOMP vhost (${v.url}): ${String(err)}; delete it by hand\n`)
          break
        }
        await new Promise((resolve) => setTimeout(resolve, 3000))
      }
    }
    await this.#settle()
  }
}

/** File descriptors of the RabbitMQ node the bench leaves free (connections in flight when the guard trips included). */
const FD_HEADROOM = 160

// --- bare ws ------------------------------------------------------------------------------------

const WS_SERVER = fileURLToPath(new URL('./ws-broadcast-server.ts', import.meta.url))

export class WsBaselineSystem implements SystemUnderTest {
  readonly kind = 'ws' as const
  readonly label = 'bare ws'
  readonly connectionHolder = 'ws-server'
  readonly #heapDir: string | undefined
  #child: ChildProcess | undefined
  #port = 0

  constructor (options: { heapDir?: string } = {}) {
    this.#heapDir = options.heapDir
  }

  async heapSnapshot (label: string): Promise<string | undefined> {
    const pid = this.#child?.pid
    if (pid === undefined || this.#heapDir === undefined) return undefined
    return await takeHeapSnapshot(pid, this.#heapDir, `${label}-ws-server`)
  }

  async start (): Promise<void> {
    const child = spawn(process.execPath, [...heapArgs(this.#heapDir), '--import', 'tsx', WS_SERVER], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: '0' } })
    this.#child = child
    this.#port = await new Promise<number>((resolve, reject) => {
      let out = ''
      const t = setTimeout(() => reject(new Error('ws-broadcast-server did not start within 20 s')), 20_000)
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString()
        const m = /listening (\d+)/.exec(out)
        if (m !== null) {
          clearTimeout(t)
          resolve(Number(m[1]))
        }
      })
      child.once('exit', (code) => { clearTimeout(t); reject(new Error(`ws-broadcast-server exited with ${String(code)}`)) })
    })
  }

  notes (): string[] {
    return ['one Node process, `ws` 8, broadcast of each text message to the sockets of its room (URL path); no STOMP, no storage']
  }

  watched (): Watched[] {
    const pid = this.#child?.pid
    return pid === undefined ? [] : [{ name: 'ws-server', role: 'server', pid }]
  }

  async prepare (layout: Layout): Promise<ConnSpec[]> {
    return layout.conns.map((c, index) => ({
      index,
      url: `ws://127.0.0.1:${this.#port}/r${c.room}`,
      protocols: [],
      room: c.room,
      ...(c.senderId === undefined ? {} : { sender: { id: c.senderId, prefix: '' } }),
      heartbeat: layout.heartbeat,
    }))
  }

  async stop (): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(t)
  }
}
