/**
 * Load benchmark: our split deployment against RabbitMQ Web-STOMP and a bare `ws` broadcast server, side by side
 * in one invocation (docs/performance.md, "Load").
 *
 *   npx turbo run build                     # the services run from dist/
 *   npm run bench:load -- S1                # or S2, S3, S4, all; options below
 *   npm run bench:load -- S2 --duration 10 --systems ours,ws
 *
 * S1  80 rooms × 10 members, one sender per room at 12.5 msg/s (10,000 deliveries/s), 30 s after a 5 s warm-up.
 * S2  one room × 800 members, 5 senders at 20 msg/s (80,000 deliveries/s), 30 s. A system that misses
 *     (p99 ≥ 200 ms or a loss) is then ramped on the same shape from 1/20 of the rate to find what it sustains.
 * S3  a ramp on S1's shape: ×1.25 every 10 s from 12.5 msg/s per room until p99 ≥ 200 ms or a loss.
 * S4  10,000 idle connections with heart-beats 10000,10000 (800 users, 80 rooms): RSS per connection.
 *
 * Options (defaults are the scenario's): --systems ours,webstomp,ws  --rooms N  --members N  --senders N
 *   --rate MSG_PER_S_PER_SENDER  --duration S  --warmup S  --payload CHARS  --heartbeat CX,CY  --receipts on|off
 *   --webstomp durable|transient  --workers N  --connect-concurrency N  --connect-timeout MS  --verify-every N
 *   --step S --factor F --max-steps N --start-rate R --misses N (ramps: N missed steps in a row end it, default 2)  --search auto|always|never (S2)  --p99-limit MS
 *   --connections N --users N --hold S (S4)  --drain-max S  --edges N --dispatchers N
 *   --lean-ws on|off (the generator's own WebSocket frame reader, default on; off: ws's receiver)
 *   --quiet-wait S (before each run, wait up to S seconds, default 120, for the machine to be under 25 % busy)
 *   --keep-users (keep the bench database `bench_load_users` and the users' tokens in bench-output/load/users.json:
 *     the next run refreshes their tokens instead of creating 800 users through scrypt, ~200 s here)
 *   --report FILE (print the tables of a saved result.json again, run nothing)
 *   --profile (cpu-prof our services)  --profile-dir DIR  --heap (S4: heap snapshots of edge and ws server, diffed)  --out DIR (default bench-output/load/<time>)
 *
 * Servers: DATABASE_URL, RABBITMQ_URL, REDIS_URL (defaults: the servers of this machine, as in the README), WEBSTOMP_URL (ws://127.0.0.1:15674/ws).
 * The last line printed is one JSON object with every figure.
 */
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { DEFAULT_URLS, REPO_ROOT } from '@chat/testing'
import { runIdle, runLoad, type IdleResult, type LoadOptions, type LoadResult } from './runner.js'
import { OurSystem, OursContext, WebStompSystem, WsBaselineSystem, type Layout, type Servers, type SystemUnderTest } from './systems.js'
import { fmt, idleTable, loadTable, rampTable, verdictLines, type Verdict } from './report.js'
import { formatSummary, summarizeProfile, type ProfileSummary } from './profile-summary.js'
import { formatHeapDiff } from './heap-summary.js'
import type { SystemKind } from './protocol.js'

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    systems: { type: 'string' },
    rooms: { type: 'string' },
    members: { type: 'string' },
    senders: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    payload: { type: 'string' },
    heartbeat: { type: 'string' },
    receipts: { type: 'string' },
    webstomp: { type: 'string' },
    workers: { type: 'string' },
    'connect-concurrency': { type: 'string' },
    'connect-timeout': { type: 'string' },
    'verify-every': { type: 'string' },
    step: { type: 'string' },
    factor: { type: 'string' },
    'max-steps': { type: 'string' },
    misses: { type: 'string' },
    'start-rate': { type: 'string' },
    search: { type: 'string' },
    'p99-limit': { type: 'string' },
    connections: { type: 'string' },
    users: { type: 'string' },
    hold: { type: 'string' },
    'drain-max': { type: 'string' },
    'quiet-wait': { type: 'string' },
    'lean-ws': { type: 'string' },
    edges: { type: 'string' },
    dispatchers: { type: 'string' },
    profile: { type: 'boolean' },
    'keep-users': { type: 'boolean' },
    heap: { type: 'boolean' },
    report: { type: 'string' },
    'profile-dir': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})

if (opt.help === true) {
  process.stdout.write('usage: npm run bench:load -- S1|S2|S3|S4|all [options]; see the header of bench/load/main.ts\n')
  process.exit(0)
}

function num (name: keyof typeof opt, fallback: number): number {
  const v = opt[name]
  if (v === undefined || typeof v !== 'string') return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${String(name)} must be a non-negative number, got ${v}`)
  return n
}

const scenarioArg = (positionals[0] ?? 'S1').toUpperCase()
const SCENARIOS = ['S1', 'S2', 'S3', 'S4'] as const
type Scenario = (typeof SCENARIOS)[number]
const scenarios: Scenario[] = scenarioArg === 'ALL' ? [...SCENARIOS] : SCENARIOS.includes(scenarioArg as Scenario) ? [scenarioArg as Scenario] : []
if (scenarios.length === 0) throw new Error(`unknown scenario '${positionals[0] ?? ''}': S1, S2, S3, S4 or all`)

const systemsWanted = (opt.systems ?? 'ours,webstomp,ws').split(',').map((s) => s.trim()) as SystemKind[]
for (const s of systemsWanted) if (!['ours', 'webstomp', 'ws'].includes(s)) throw new Error(`unknown system '${s}'`)
const heartbeat = (opt.heartbeat ?? '10000,10000').split(',').map(Number) as [number, number]
const receipts = (opt.receipts ?? 'on') !== 'off'
const webstompDurable = (opt.webstomp ?? 'durable') !== 'transient'
const workers = num('workers', cpus().length)
const p99LimitMs = num('p99-limit', 200)
const search = opt.search ?? 'auto'
const leanWs = (opt['lean-ws'] ?? 'on') !== 'off'
const outDir = resolve(opt.out ?? join(REPO_ROOT, 'bench-output', 'load', new Date().toISOString().replace(/[:.]/g, '-')))
const profileDir = opt.profile === true || opt['profile-dir'] !== undefined ? resolve(opt['profile-dir'] ?? join(outDir, 'profiles')) : undefined

const servers: Servers = {
  databaseUrl: process.env.DATABASE_URL ?? DEFAULT_URLS.DATABASE_URL,
  rabbitmqUrl: process.env.RABBITMQ_URL ?? DEFAULT_URLS.RABBITMQ_URL,
  redisUrl: process.env.REDIS_URL ?? DEFAULT_URLS.REDIS_URL,
  webStompUrl: process.env.WEBSTOMP_URL ?? 'ws://127.0.0.1:15674/ws',
}

const log = (line: string): void => { process.stderr.write(line + '\n') }
const print = (text: string): void => { process.stdout.write(text + '\n') }

// --- layouts ------------------------------------------------------------------------------------

/** rooms × members, the first `senders` members of each room send; user = room × members + member. */
function roomsLayout (rooms: number, members: number, senders: number): Layout {
  const conns: Array<{ room: number, user: number, senderId?: number }> = []
  const roomSenders: number[][] = []
  let nextSender = 0
  for (let r = 0; r < rooms; r++) {
    const ids: number[] = []
    for (let m = 0; m < members; m++) {
      if (m < senders) {
        ids.push(nextSender)
        conns.push({ room: r, user: r * members + m, senderId: nextSender++ })
      } else {
        conns.push({ room: r, user: r * members + m })
      }
    }
    roomSenders.push(ids)
  }
  return { rooms, conns, roomSenders, totalSenders: nextSender, heartbeat }
}

/** S4: `connections` sockets over `users` users (a user has several sessions), user u in room u mod rooms. */
function idleLayout (connections: number, users: number, rooms: number): Layout {
  const conns = Array.from({ length: connections }, (_x, i) => {
    const user = i % users
    return { room: user % rooms, user }
  })
  return { rooms, conns, roomSenders: Array.from({ length: rooms }, () => []), totalSenders: 0, heartbeat }
}

// --- systems ------------------------------------------------------------------------------------

const oursCtx = new OursContext(servers, opt['keep-users'] === true)
let runCounter = 0
const profileSummaries: Array<{ scenario: string, run: string, service: string, summary: ProfileSummary }> = []

/** Systems started and not yet stopped: stopped on SIGINT/SIGTERM so no server process or vhost is left behind. */
const active = new Set<SystemUnderTest>()

function makeSystem (kind: SystemKind, sendRate?: number, maxConnections = 20_000, durable = webstompDurable, heapDir?: string): SystemUnderTest {
  const system = newSystem(kind, sendRate, maxConnections, durable, heapDir)
  const start = system.start.bind(system)
  const stop = system.stop.bind(system)
  system.start = async () => { active.add(system); await start() }
  system.stop = async () => { try { await stop() } finally { active.delete(system) } }
  return system
}

let isStopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (isStopping) return
    isStopping = true
    log(`${signal}: stopping ${active.size} system(s) and dropping the bench database and vhost`)
    const t = setTimeout(() => process.exit(130), 90_000)
    void Promise.allSettled([...active].map(async (s) => await s.stop()))
      .then(async () => await oursCtx.close())
      .finally(() => { clearTimeout(t); process.exit(130) })
  })
}

function newSystem (kind: SystemKind, sendRate: number | undefined, maxConnections: number, durable: boolean, heapDir: string | undefined): SystemUnderTest {
  switch (kind) {
    case 'ours': {
      const o = {
        edges: num('edges', 1),
        dispatchers: num('dispatchers', 1),
        maxConnections,
        receipts,
        ...(profileDir === undefined ? {} : { profileDir }),
        ...(heapDir === undefined ? {} : { heapDir }),
        ...(sendRate === undefined ? {} : { sendRate, sendBurst: sendRate * 10 }),
      }
      return new OurSystem(oursCtx, o)
    }
    case 'webstomp': return new WebStompSystem(servers, { durable, receipts })
    case 'ws': return new WsBaselineSystem(heapDir === undefined ? {} : { heapDir })
  }
}

/**
 * SEND_RATE / SEND_BURST for our edge when a scenario's per-session rate reaches the default 20/s (burst 40). At the
 * limit itself, and at twice it, an edge that falls behind reads a sender's SENDs in bursts after each stall, and the
 * bucket refuses them (`rate-limited` on /user/queue/errors, seen in S2): those would count as lost messages and hide
 * the throughput figure. So S2 and S3 run with 1,000/s a session (burst 10,000), and the tables say so.
 */
function sendRateFor (maxRatePerSender: number): number | undefined {
  return maxRatePerSender < 20 ? undefined : Math.max(1000, Math.ceil(maxRatePerSender * 4))
}

/** Renames this run's profiles to `<scenario>-<run>-<service>-<pid>.cpuprofile` and summarizes edge and dispatcher. */
function collectProfiles (scenario: string, run: string, pidNames: Map<number, string>): void {
  if (profileDir === undefined) return
  for (const f of readdirSync(profileDir)) {
    const m = /^CPU\.[\d.]+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f)
    if (m === null) continue
    const service = pidNames.get(Number(m[1]))
    if (service === undefined) continue
    const target = join(profileDir, `${scenario}-${run}-${service}-${m[1]}.cpuprofile`)
    renameSync(join(profileDir, f), target)
    if (service.startsWith('edge') || service.startsWith('dispatcher')) {
      const summary = summarizeProfile(target, 25)
      profileSummaries.push({ scenario, run, service, summary })
      log(formatSummary(`${scenario} ${run} ${service}`, summary, 12))
    }
  }
}

/** Runs failed by an error (a system that would not start, a broker that refused): reported, not fatal to the rest. */
const failedRuns: Array<{ scenario: string, system: string, error: string }> = []

async function attempt<T> (scenario: string, kind: SystemKind, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run()
  } catch (err) {
    const error = err instanceof Error ? err.stack ?? err.message : String(err)
    log(`  ${scenario} ${kind} failed: ${error}`)
    failedRuns.push({ scenario, system: kind, error: err instanceof Error ? err.message : String(err) })
    return undefined
  }
}

async function load (scenario: string, kind: SystemKind, layout: Layout, mode: LoadOptions['mode'], maxRatePerSender: number): Promise<LoadResult> {
  const system = makeSystem(kind, sendRateFor(maxRatePerSender))
  const run = `${kind}${++runCounter}`
  const result = await runLoad(system, layout, {
    workers,
    payloadChars: num('payload', 200),
    receipts,
    verifyEvery: num('verify-every', 50),
    connectConcurrency: num('connect-concurrency', 50),
    connectTimeoutMs: num('connect-timeout', 15_000),
    leanWs,
    mode,
    p99LimitMs,
    drainMaxS: num('drain-max', 60),
    quietWaitS: num('quiet-wait', 120),
    log,
  })
  if (system instanceof OurSystem) collectProfiles(scenario, run, system.pidNames())
  return result
}

// --- scenarios ----------------------------------------------------------------------------------

interface ScenarioReport {
  readonly scenario: string
  readonly description: string
  readonly command: string
  readonly results: Record<string, unknown>
  readonly verdicts: Verdict[]
}

const ratio = (a: number, b: number): number => b > 0 ? a / b : Number.POSITIVE_INFINITY

function byKind<T extends { kind: string }> (rs: readonly T[], kind: SystemKind): T | undefined {
  return rs.find((r) => r.kind === kind)
}

async function s1 (): Promise<ScenarioReport> {
  const rooms = num('rooms', 80)
  const members = num('members', 10)
  const senders = num('senders', 1)
  const rate = num('rate', 12.5)
  const layout = roomsLayout(rooms, members, senders)
  const description = `S1: ${rooms} rooms × ${members} members, ${senders} sender(s) per room at ${rate} msg/s (offered ${fmt(rooms * senders * rate * members)} deliveries/s), ${num('duration', 30)} s after ${num('warmup', 5)} s warm-up, payload ${num('payload', 200)} chars, heart-beats ${heartbeat.join(',')}, receipts ${receipts ? 'on' : 'off'}`
  log(`\n== ${description}`)
  const results: LoadResult[] = []
  for (const kind of systemsWanted) {
    const r = await attempt('S1', kind, async () => await load('S1', kind, layout, { kind: 'fixed', warmupS: num('warmup', 5), durationS: num('duration', 30), ratePerSender: rate }, rate))
    if (r !== undefined) results.push(r)
  }
  const ours = byKind(results, 'ours')
  const wst = byKind(results, 'webstomp')
  const verdicts: Verdict[] = []
  if (ours !== undefined) {
    const clean = ours.lostTotal === 0 && ours.duplicates === 0 && ours.outOfOrder === 0
    verdicts.push({ scenario: 'S1', target: 'ours: 0 lost, 0 duplicated, 0 out of order', value: `${ours.lostTotal} lost, ${ours.duplicates} duplicated, ${ours.outOfOrder} out of order (room seq gaps ${ours.roomSeqGaps}, backwards ${ours.roomSeqBackwards})`, pass: clean && ours.isDrained })
    const p = ours.judged?.latency.p99 ?? Number.NaN
    const w = wst?.judged?.latency.p99
    verdicts.push({ scenario: 'S1', target: `ours p99 <= 2x ${wst?.system ?? 'webstomp'} p99`, value: w === undefined ? 'webstomp not run' : `${fmt(p, 1)} ms vs ${fmt(w, 1)} ms = ${fmt(ratio(p, w), 2)}x`, pass: w === undefined ? undefined : p <= 2 * w })
  }
  return render({ scenario: 'S1', description, command: commandLine('S1'), results: Object.fromEntries(results.map((r) => [r.kind, r])), verdicts })
}

/** The sustained figure of a system for S2/S3: the judged step's deliveries/s when sustained. */
function sustained (r: LoadResult | undefined): number | undefined {
  if (r === undefined) return undefined
  return r.judged?.isSustained === true ? r.judged.deliveredPerS : 0
}

function throughputVerdicts (scenario: string, ours: number | undefined, wst: number | undefined, ws: number | undefined, notes: { ours?: string, wst?: string, ws?: string } = {}): Verdict[] {
  if (ours === undefined) return []
  return [
    { scenario, target: 'ours sustained deliveries/s >= 5x webstomp', value: wst === undefined ? 'webstomp not run' : `${fmt(ours)}${notes.ours ?? ''} vs ${fmt(wst)}${notes.wst ?? ''} = ${fmt(ratio(ours, wst), 2)}x`, pass: wst === undefined ? undefined : ours >= 5 * wst },
    { scenario, target: 'ours sustained deliveries/s >= 50% of bare ws', value: ws === undefined ? 'ws not run' : `${fmt(ours)}${notes.ours ?? ''} vs ${fmt(ws)}${notes.ws ?? ''} = ${fmt(ratio(ours, ws) * 100, 0)} %`, pass: ws === undefined ? undefined : ours >= 0.5 * ws },
  ]
}

async function s2 (): Promise<ScenarioReport> {
  const rooms = num('rooms', 1)
  const members = num('members', 800)
  const senders = num('senders', 5)
  const rate = num('rate', 20)
  const layout = roomsLayout(rooms, members, senders)
  const offered = rooms * senders * rate * members
  const description = `S2: ${rooms} room(s) × ${members} members, ${senders} senders at ${rate} msg/s (offered ${fmt(offered)} deliveries/s), ${num('duration', 30)} s after ${num('warmup', 5)} s warm-up, payload ${num('payload', 200)} chars; a system that misses is ramped on the same shape (×${num('factor', 1.25)} every ${num('step', 10)} s from ${fmt(rate / 20, 2)} msg/s per sender)`
  log(`\n== ${description}`)
  const fixed: LoadResult[] = []
  const searched: LoadResult[] = []
  for (const kind of systemsWanted) {
    const r = await attempt('S2', kind, async () => await load('S2', kind, layout, { kind: 'fixed', warmupS: num('warmup', 5), durationS: num('duration', 30), ratePerSender: rate }, rate))
    if (r === undefined) continue
    fixed.push(r)
    const passed = r.judged?.isSustained === true
    if (search === 'always' || (search === 'auto' && !passed)) {
      log(`  ${r.system} ${passed ? 'kept up' : 'missed'} at ${fmt(offered)} deliveries/s: searching what it sustains with a ramp`)
      const start = num('start-rate', rate / 20)
      const maxSteps = num('max-steps', 20)
      const ramp = await attempt('S2', kind, async () => await load('S2', kind, layout, { kind: 'ramp', warmupS: num('warmup', 5), stepS: num('step', 10), startRatePerSender: start, stepFactor: num('factor', 1.25), maxSteps, graceMs: 2000, missesToStop: num('misses', 2) }, start * num('factor', 1.25) ** maxSteps))
      if (ramp !== undefined) searched.push(ramp)
    }
  }
  const figure = (kind: SystemKind): { v: number | undefined, note: string } => {
    const f = byKind(fixed, kind)
    const s = byKind(searched, kind)
    if (f === undefined) return { v: undefined, note: '' }
    const fv = sustained(f) ?? 0
    const sv = sustained(s) ?? 0
    if (fv > 0 && fv >= sv) return { v: fv, note: ' (kept up with all that was offered: a lower bound)' }
    return { v: sv, note: ' (ramp)' }
  }
  const o = figure('ours')
  const w = figure('webstomp')
  const b = figure('ws')
  const verdicts = throughputVerdicts('S2', o.v, w.v, b.v, { ours: o.note, wst: w.note, ws: b.note })
  return render({
    scenario: 'S2',
    description,
    command: commandLine('S2'),
    results: { fixed: Object.fromEntries(fixed.map((r) => [r.kind, r])), ramp: Object.fromEntries(searched.map((r) => [r.kind, r])), sustained: { ours: o.v, webstomp: w.v, ws: b.v } },
    verdicts,
  })
}

async function s3 (): Promise<ScenarioReport> {
  const rooms = num('rooms', 80)
  const members = num('members', 10)
  const senders = num('senders', 1)
  const start = num('start-rate', num('rate', 12.5))
  const factor = num('factor', 1.25)
  const maxSteps = num('max-steps', 20)
  const stepS = num('step', 10)
  const layout = roomsLayout(rooms, members, senders)
  const description = `S3: ramp on ${rooms} rooms × ${members} members, ${senders} sender(s) per room from ${start} msg/s (${fmt(rooms * senders * start * members)} deliveries/s) ×${factor} every ${stepS} s (after a ${num('warmup', 5)} s warm-up) until p99 >= ${p99LimitMs} ms or a loss; payload ${num('payload', 200)} chars`
  log(`\n== ${description}`)
  const results: LoadResult[] = []
  for (const kind of systemsWanted) {
    const r = await attempt('S3', kind, async () => await load('S3', kind, layout, { kind: 'ramp', warmupS: num('warmup', 5), stepS, startRatePerSender: start, stepFactor: factor, maxSteps, graceMs: 2000, missesToStop: num('misses', 2) }, start * factor ** maxSteps))
    if (r !== undefined) results.push(r)
  }
  const verdicts = throughputVerdicts('S3', sustained(byKind(results, 'ours')), sustained(byKind(results, 'webstomp')), sustained(byKind(results, 'ws')))
  return render({ scenario: 'S3', description, command: commandLine('S3'), results: Object.fromEntries(results.map((r) => [r.kind, r])), verdicts })
}

async function s4 (): Promise<ScenarioReport> {
  const connections = num('connections', 10_000)
  const users = num('users', Math.min(800, connections))
  const rooms = num('rooms', 80)
  const hold = num('hold', 30)
  const layout = idleLayout(connections, users, rooms)
  const description = `S4: ${fmt(connections)} idle connections (${users} users, ${rooms} rooms, each connection subscribed to its user's room), heart-beats ${heartbeat.join(',')}, held ${hold} s`
  log(`\n== ${description}`)
  const results: IdleResult[] = []
  for (const kind of systemsWanted) {
    // Idle Web-STOMP connections subscribe transiently unless --webstomp says otherwise: a durable queue per idle
    // subscriber is not what an idle chat client costs there (ours has no per-subscriber queue either).
    const system = makeSystem(kind, undefined, Math.max(20_000, connections + 100), opt.webstomp === 'durable', opt.heap === true ? join(outDir, 'heap') : undefined)
    const run = `${kind}${++runCounter}`
    const r = await attempt('S4', kind, async () => await runIdle(system, layout, {
      workers,
      connectConcurrency: num('connect-concurrency', 50),
      connectTimeoutMs: num('connect-timeout', 15_000),
      // Web-STOMP stops accepting at its file-descriptor limit: do not wait out thousands of timeouts.
      stopAfterFailures: 100,
      leanWs,
      holdS: hold,
      settleS: 5,
      quietWaitS: num('quiet-wait', 120),
      heap: opt.heap === true,
      log,
    }))
    if (r !== undefined) results.push(r)
    if (system instanceof OurSystem) collectProfiles('S4', run, system.pidNames())
  }
  const ours = byKind(results, 'ours')
  const ws = byKind(results, 'ws')
  const verdicts: Verdict[] = []
  if (ours !== undefined) {
    verdicts.push({ scenario: 'S4', target: 'ours RSS per idle connection <= 3x bare ws', value: ws === undefined ? 'ws not run' : `${fmt(ours.kibPerConnection, 1)} KiB vs ${fmt(ws.kibPerConnection, 1)} KiB = ${fmt(ratio(ours.kibPerConnection, ws.kibPerConnection), 2)}x`, pass: ws === undefined ? undefined : ours.kibPerConnection <= 3 * ws.kibPerConnection && ours.connect.ready === connections })
  }
  return render({ scenario: 'S4', description, command: commandLine('S4'), results: Object.fromEntries(results.map((r) => [r.kind, r])), verdicts })
}

/** Prints a scenario's tables (also from a saved result.json, `--report`). Returns the report. */
function render (r: ScenarioReport): ScenarioReport {
  const loads = (x: unknown): LoadResult[] => Object.values((x ?? {}) as Record<string, LoadResult>)
  print(`\n${r.description}\n`)
  switch (r.scenario) {
    case 'S1':
      print(loadTable(loads(r.results), 'measure window'))
      break
    case 'S2': {
      const fixed = loads(r.results.fixed)
      const ramps = loads(r.results.ramp)
      print('Fixed rate:\n')
      print(loadTable(fixed, 'measure window'))
      for (const x of ramps) {
        print(`\nRamp on S2's shape, ${x.system}${x.rampStoppedBecause === undefined ? '' : ` (stopped: ${x.rampStoppedBecause})`}:\n`)
        print(rampTable(x))
      }
      if (ramps.length > 0) {
        print('\nRamps, at the highest sustained step:\n')
        print(loadTable(ramps, 'highest sustained step'))
      }
      break
    }
    case 'S3': {
      const results = loads(r.results)
      for (const x of results) {
        print(`${x.system}${x.rampStoppedBecause === undefined ? '' : ` (stopped: ${x.rampStoppedBecause})`}:\n`)
        print(rampTable(x) + '\n')
      }
      print('At the highest sustained step:\n')
      print(loadTable(results, 'highest sustained step'))
      break
    }
    case 'S4': {
      const results = Object.values(r.results) as IdleResult[]
      print(idleTable(results))
      for (const x of results) if (x.heap !== undefined) print('\n' + formatHeapDiff(x.system, x.heap))
      break
    }
  }
  return r
}

function commandLine (scenario: string): string {
  const args = process.argv.slice(2).filter((a) => a.toUpperCase() !== scenarioArg)
  return `npm run bench:load -- ${scenario}${args.length > 0 ? ' ' + args.join(' ') : ''}`
}

// --- main ---------------------------------------------------------------------------------------

/** `--report result.json`: print the tables and verdicts of a saved run again (e.g. after changing the report). */
function reprint (file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { scenarios: ScenarioReport[], targets: Verdict[], profiles: Array<{ scenario: string, run: string, service: string, file: string, busyMs: number, gcPct: number, top: ProfileSummary['top'] }> }
  for (const r of saved.scenarios) render(r)
  print('\nTargets:\n' + verdictLines(saved.targets))
  for (const p of saved.profiles) {
    print(formatSummary(`${p.scenario} ${p.run} ${p.service}`, { file: p.file, totalMs: 0, busyMs: p.busyMs, idlePct: 0, gcPct: p.gcPct, top: p.top }, 10))
  }
}

/**
 * What was measured: the commit, the files changed since, and when the services' dist/ was last built (the
 * services run from dist/, which may lag the sources).
 */
function provenance (): { head: string, dirty: string[], distBuiltAt: Record<string, string> } {
  const git = (args: string[]): string => {
    const r = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : ''
  }
  const distBuiltAt: Record<string, string> = {}
  for (const s of ['edge', 'dispatcher', 'history']) {
    try {
      distBuiltAt[s] = statSync(join(REPO_ROOT, 'services', s, 'dist', 'main.js')).mtime.toISOString()
    } catch {
      distBuiltAt[s] = 'missing'
    }
  }
  return { head: git(['log', '-1', '--format=%h %cI %s']), dirty: git(['status', '--short', '--untracked-files=no']).split('\n').filter(Boolean), distBuiltAt }
}

async function main (): Promise<void> {
  if (opt.report !== undefined) {
    reprint(opt.report)
    return
  }
  mkdirSync(outDir, { recursive: true })
  const source = provenance()
  log(`load bench: ${scenarios.join(', ')} against ${systemsWanted.join(', ')}; ${workers} generator workers; output ${outDir}`)
  log(`source: ${source.head}${source.dirty.length > 0 ? `; uncommitted: ${source.dirty.join(', ')}` : ''}`)
  const reports: ScenarioReport[] = []
  let failure: unknown
  try {
    for (const s of scenarios) {
      switch (s) {
        case 'S1': reports.push(await s1()); break
        case 'S2': reports.push(await s2()); break
        case 'S3': reports.push(await s3()); break
        case 'S4': reports.push(await s4()); break
      }
    }
  } catch (err) {
    failure = err
    log(`load bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  } finally {
    await oursCtx.close()
  }
  const verdicts = reports.flatMap((r) => r.verdicts)
  print('\nTargets:\n' + verdictLines(verdicts))
  for (const f of failedRuns) print(`  ERROR ${f.scenario} ${f.system}: ${f.error}`)
  if (profileSummaries.length > 0) {
    print('\nProfiles (top self time, % of busy samples):')
    for (const p of profileSummaries) print(formatSummary(`${p.scenario} ${p.run} ${p.service}`, p.summary, 10))
  }
  const summary = {
    bench: 'load',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
    source,
    scenarios: reports,
    profiles: profileSummaries.map((p) => ({ scenario: p.scenario, run: p.run, service: p.service, file: p.summary.file, busyMs: p.summary.busyMs, gcPct: p.summary.gcPct, top: p.summary.top.slice(0, 15) })),
    targets: verdicts,
    failedRuns,
    allPass: verdicts.length > 0 && verdicts.every((v) => v.pass !== false) && failure === undefined && failedRuns.length === 0,
    error: failure === undefined ? undefined : String(failure),
  }
  const json = JSON.stringify(summary)
  writeFileSync(join(outDir, 'result.json'), json + '\n')
  print(json)
  process.exitCode = failure === undefined ? 0 : 1
}

await main()
