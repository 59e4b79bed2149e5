/**
 * Runs one workload against one system: start it, prepare rooms and connections, connect, send on a plan of
 * steps (a fixed rate: warm-up + measure; a ramp: steps of rising rate, stopped at the first step that misses),
 * drain, collect and reduce. `runIdle` is S4: open connections, hold them idle with heart-beats, measure RSS.
 */
import { nowUs } from './clock.js'
import { Generator, mergeHists } from './generator.js'
import { ProcMonitor, waitForQuiet, type WindowFigures } from './proc-monitor.js'
import type { ConnectReport, Plan, WorkerResult } from './protocol.js'
import { infraWatched, type Layout, type MetricsSnapshot, type SystemUnderTest } from './systems.js'
import { pipelineFigures, type PipelineFigures } from './service-metrics.js'
import { diffHeaps, formatHeapDiff, type HeapDiff } from './heap-summary.js'

export interface Latency {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

export interface StepResult {
  readonly step: number
  readonly ratePerSender: number
  readonly durationS: number
  /** Deliveries the plan asked for per second (sent × subscribers of the room / duration). */
  readonly offeredPerS: number
  readonly expected: number
  readonly received: number
  readonly lost: number
  /** Deliveries per second received during the step's wall-clock window (any step's messages). */
  readonly deliveredPerS: number
  /** ms */
  readonly latency: Latency
  readonly receiptLatency: Latency
  /** Event-loop utilization of each generator worker during the step. */
  readonly workerElu: readonly number[]
  readonly isSustained: boolean
  /** Sending stopped during this step (a ramp that ended): its figures cover part of it. */
  readonly isPartial: boolean
}

export interface ConnectFigures {
  readonly attempted: number
  readonly ready: number
  readonly failed: number
  readonly failures: Readonly<Record<string, number>>
  readonly perSecond: number
  /** ms, socket open to subscription RECEIPT */
  readonly latency: Latency
}

export interface LoadResult {
  readonly system: string
  readonly kind: string
  readonly notes: readonly string[]
  readonly connect: ConnectFigures
  /** Why fewer connections than asked were opened (a guard), if so. */
  readonly connectStoppedBecause?: string
  readonly steps: readonly StepResult[]
  /** The step the scenario is judged on: the measure step (fixed) or the highest sustained one (ramp). */
  readonly judged: StepResult | undefined
  readonly rampStoppedBecause?: string
  readonly duplicates: number
  readonly outOfOrder: number
  readonly lostTotal: number
  readonly expectedTotal: number
  readonly roomSeqGaps: number
  readonly roomSeqBackwards: number
  readonly verified: number
  readonly verifyFailures: number
  readonly verifyExamples: readonly string[]
  readonly errorFrames: number
  readonly errorMessages: Readonly<Record<string, number>>
  readonly sendErrors: Readonly<Record<string, number>>
  readonly unexpectedCloses: Readonly<Record<string, number>>
  readonly receiptsOutstanding: number
  readonly sendsSkipped: number
  readonly maxSendLagMs: number
  /** Lateness of sends against the plan (the generator's own health), ms. */
  readonly sendLag: Latency
  readonly drainSeconds: number
  readonly isDrained: boolean
  /** Machine busy % just before the run (other work on the machine). */
  readonly busyBeforePct: number
  /** CPU over the judged window, peak RSS over the run. */
  readonly procs: WindowFigures
  /** Ours: the services' own figures over the judged window (/metrics). */
  readonly pipeline?: PipelineFigures
}

export interface LoadOptions {
  readonly workers: number
  readonly payloadChars: number
  readonly receipts: boolean
  readonly verifyEvery: number
  readonly connectConcurrency: number
  readonly connectTimeoutMs: number
  readonly leanWs: boolean
  /** Fixed: [warm-up, measure] at one rate. Ramp: a warm-up then steps, each `stepFactor` faster. */
  readonly mode: { kind: 'fixed', warmupS: number, durationS: number, ratePerSender: number }
    | { kind: 'ramp', warmupS: number, stepS: number, startRatePerSender: number, stepFactor: number, maxSteps: number, graceMs: number, missesToStop: number }
  readonly p99LimitMs: number
  readonly drainMaxS: number
  /** Wait up to this long for the machine to go quiet before starting. 0: do not wait. */
  readonly quietWaitS: number
  readonly log: (line: string) => void
}

const toMs = (us: number): number => Math.round(us / 10) / 100

function latencyOf (encoded: readonly string[]): Latency {
  const h = mergeHists(encoded)
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }
  return {
    count: h.totalCount,
    p50: toMs(h.getValueAtPercentile(50)),
    p90: toMs(h.getValueAtPercentile(90)),
    p99: toMs(h.getValueAtPercentile(99)),
    p999: toMs(h.getValueAtPercentile(99.9)),
    max: toMs(h.maxValue),
  }
}

function connectFigures (reports: readonly ConnectReport[]): ConnectFigures {
  const failures: Record<string, number> = {}
  for (const r of reports) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v
  const first = Math.min(...reports.map((r) => r.firstStartUs))
  const last = Math.max(...reports.map((r) => r.lastReadyUs))
  const ready = reports.reduce((a, r) => a + r.ready, 0)
  return {
    attempted: reports.reduce((a, r) => a + r.attempted, 0),
    ready,
    failed: reports.reduce((a, r) => a + r.failed, 0),
    failures,
    perSecond: last > first ? ready / ((last - first) / 1e6) : 0,
    latency: latencyOf(reports.map((r) => r.hist)),
  }
}

function readyPerRoom (reports: readonly ConnectReport[], rooms: number): number[] {
  const out = new Array<number>(rooms).fill(0)
  for (const r of reports) r.readyPerRoom.forEach((n, i) => { out[i] = (out[i] ?? 0) + n })
  return out
}

/** Opens the connections, polling the system's guard meanwhile (it may ask to open no more). */
async function connectGuarded (generator: Generator, system: SystemUnderTest, log: (line: string) => void): Promise<{ reports: ConnectReport[], stoppedBecause?: string }> {
  let stoppedBecause: string | undefined
  let timer: NodeJS.Timeout | undefined
  if (system.connectGuard !== undefined) {
    timer = setInterval(() => {
      const why = system.connectGuard?.()
      if (why === undefined || stoppedBecause !== undefined) return
      stoppedBecause = why
      log(`  opening no more connections: ${why}`)
      generator.stopConnecting()
    }, 100)
  }
  try {
    const reports = await generator.connect()
    return stoppedBecause === undefined ? { reports } : { reports, stoppedBecause }
  } finally {
    if (timer !== undefined) clearInterval(timer)
  }
}

/** The shared servers too (RabbitMQ, PostgreSQL, Redis), so that what runs besides the system under test shows. */
function watchInfra (monitor: ProcMonitor, system: SystemUnderTest): void {
  const mine = new Set(system.watched().map((w) => w.pid))
  for (const w of infraWatched()) if (!mine.has(w.pid)) monitor.watch(w)
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Sleeps until monotonic time `us`. */
async function sleepUntil (us: number): Promise<void> {
  const ms = (us - nowUs()) / 1000
  if (ms > 0) await sleep(ms)
}

function planOf (o: LoadOptions): Plan['steps'] {
  const m = o.mode
  if (m.kind === 'fixed') {
    return [
      { durationMs: m.warmupS * 1000, ratePerSender: m.ratePerSender },
      { durationMs: m.durationS * 1000, ratePerSender: m.ratePerSender },
    ]
  }
  const steps = [{ durationMs: m.warmupS * 1000, ratePerSender: m.startRatePerSender }]
  for (let k = 0; k < m.maxSteps; k++) steps.push({ durationMs: m.stepS * 1000, ratePerSender: m.startRatePerSender * m.stepFactor ** k })
  return steps
}

/** Starts the system, runs the plan, stops the system. */
export async function runLoad (system: SystemUnderTest, layout: Layout, o: LoadOptions): Promise<LoadResult> {
  const log = o.log
  const busyBeforePct = o.quietWaitS > 0 ? await waitForQuiet(o.quietWaitS, 25, log) : 0
  log(`- ${system.label}: starting`)
  await system.start()
  const monitor = new ProcMonitor()
  let generator: Generator | undefined
  try {
    const specs = await system.prepare(layout, log)
    for (const w of system.watched()) monitor.watch(w)
    watchInfra(monitor, system)
    monitor.watch({ name: 'generator', role: 'generator', pid: process.pid })
    monitor.start()
    generator = new Generator(specs, {
      workers: o.workers,
      system: system.kind,
      roomSenders: layout.roomSenders,
      totalSenders: layout.totalSenders,
      payloadChars: o.payloadChars,
      receipts: o.receipts && system.kind !== 'ws',
      verifyEvery: o.verifyEvery,
      connectConcurrency: o.connectConcurrency,
      connectTimeoutMs: o.connectTimeoutMs,
      stopAfterFailures: 0,
      leanWs: o.leanWs,
    })
    const guarded = await connectGuarded(generator, system, log)
    const reports = guarded.reports
    const connect = connectFigures(reports)
    log(`  connected ${connect.ready}/${connect.attempted} in ${(connect.ready / Math.max(connect.perSecond, 1e-9)).toFixed(1)} s (${connect.perSecond.toFixed(0)}/s)${connect.failed > 0 ? ` failures: ${JSON.stringify(connect.failures)}` : ''}`)
    const members = readyPerRoom(reports, layout.rooms)
    const roomOfSender = new Map<number, number>()
    layout.roomSenders.forEach((ids, r) => { for (const id of ids) roomOfSender.set(id, r) })
    const expectedOf = (sent: Iterable<readonly [number, number]>): number => {
      let e = 0
      for (const [id, n] of sent) e += n * (members[roomOfSender.get(id) ?? -1] ?? 0)
      return e
    }

    const steps = planOf(o)
    const startUs = nowUs() + 300_000
    const stepStarts: number[] = []
    let t = startUs
    for (const s of steps) { stepStarts.push(t); t += s.durationMs * 1000 }
    const planEndUs = t
    monitor.resetPeaks()
    generator.start({ startUs, steps })
    const judgedWindow: [string, string] = o.mode.kind === 'fixed' ? ['step1', 'step2'] : ['step1', 'end']
    let stoppedBecause: string | undefined
    let lastStep = steps.length - 1
    let stoppedAtUs = planEndUs
    let misses = 0
    const missReasons: string[] = []
    // Marks at step boundaries (CPU per step), and for a ramp the check of each step after a grace period.
    const metricSnaps: Array<Promise<MetricsSnapshot | undefined>> = []
    const snapMetrics = (): Promise<MetricsSnapshot | undefined> => system.snapshotMetrics?.().catch(() => undefined) ?? Promise.resolve(undefined)
    for (let k = 0; k <= steps.length; k++) {
      await sleepUntil(stepStarts[k] ?? planEndUs)
      monitor.mark(`step${k}`)
      metricSnaps[k] = snapMetrics()
      if (k === steps.length) break
      if (o.mode.kind === 'fixed') {
        log(`  step ${k} (${k === 0 ? 'warm-up' : 'measure'}): ${steps[k]?.ratePerSender} msg/s per sender for ${(steps[k]?.durationMs ?? 0) / 1000} s`)
        continue
      }
      // Ramp: judge step k-1 (not the warm-up) once its late deliveries had `graceMs` to arrive.
      if (k >= 2) {
        await sleep(o.mode.graceMs)
        const snaps = await generator.snapshot(k - 1)
        const expected = expectedOf(snaps.flatMap((s) => s.sent))
        const received = snaps.reduce((a, s) => a + s.received, 0)
        const lat = latencyOf(snaps.map((s) => s.hist))
        const rate = steps[k - 1]?.ratePerSender ?? 0
        const offered = expected / ((steps[k - 1]?.durationMs ?? 1) / 1000)
        log(`  step ${k - 1}: ${rate.toFixed(2)} msg/s per sender, offered ${offered.toFixed(0)} deliveries/s, p99 ${lat.p99} ms, missing after ${o.mode.graceMs} ms: ${expected - received}`)
        const missed = lat.p99 >= o.p99LimitMs || expected - received > 0
        misses = missed ? misses + 1 : 0
        if (missed) {
          const why = lat.p99 >= o.p99LimitMs ? `step ${k - 1}: p99 ${lat.p99} ms >= ${o.p99LimitMs} ms` : `step ${k - 1}: ${expected - received} deliveries missing ${o.mode.graceMs} ms after the step`
          missReasons.push(why)
        }
        // The machine is shared: one missed step can be another process's burst. Two in a row end the ramp.
        if (misses >= o.mode.missesToStop) {
          stoppedBecause = missReasons.slice(-misses).join('; ')
          generator.stopSending()
          stoppedAtUs = nowUs()
          lastStep = k
          monitor.mark('end')
          metricSnaps[k + 1] = snapMetrics()
          break
        }
      }
    }
    if (stoppedBecause === undefined) monitor.mark('end')
    // Drain: wait until every expected delivery arrived, or nothing moved for 5 s, or drainMaxS.
    const drainStart = Date.now()
    let isDrained = false
    let lastReceived = -1
    let lastMoveAt = Date.now()
    for (;;) {
      const tot = await generator.totals()
      const expected = expectedOf(tot.sent)
      if (tot.received >= expected) { isDrained = true; break }
      if (tot.received !== lastReceived) { lastReceived = tot.received; lastMoveAt = Date.now() }
      if (Date.now() - lastMoveAt > 5_000 || Date.now() - drainStart > o.drainMaxS * 1000) break
      await sleep(200)
    }
    const drainSeconds = (Date.now() - drainStart) / 1000
    monitor.mark('drained')
    const results = await generator.collect()
    if (generator.fatal !== undefined) throw new Error(`generator failed: ${generator.fatal}`)
    const stepResults = reduceSteps(results, steps, stepStarts, expectedOf, o, lastStep, stoppedAtUs)
    let judged: StepResult | undefined
    if (o.mode.kind === 'fixed') {
      judged = stepResults[1]
    } else {
      // The highest step sustained (an isolated miss before it is tolerated, as when ramping).
      for (const s of stepResults.slice(1)) if (s.isSustained) judged = s
    }
    const sum = (f: (r: WorkerResult) => number): number => results.reduce((a, r) => a + f(r), 0)
    const merge = (f: (r: WorkerResult) => Readonly<Record<string, number>>): Record<string, number> => {
      const out: Record<string, number> = {}
      for (const r of results) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v
      return out
    }
    const expectedTotal = stepResults.reduce((a, s) => a + s.expected, 0)
    const receivedTotal = stepResults.reduce((a, s) => a + s.received, 0)
    const window = judged === undefined || o.mode.kind === 'fixed'
      ? judgedWindow
      : [`step${judged.step}`, `step${judged.step + 1}`] as [string, string]
    const from = Number(window[0].slice(4))
    const to = window[1] === 'end' ? metricSnaps.length - 1 : Number(window[1].slice(4))
    const [ma, mb] = await Promise.all([metricSnaps[from], metricSnaps[to]])
    const pipeline = ma !== undefined && mb !== undefined ? pipelineFigures(ma.edge, mb.edge, ma.dispatcher, mb.dispatcher) : undefined
    return {
      system: system.label,
      kind: system.kind,
      notes: system.notes(),
      connect,
      ...(guarded.stoppedBecause === undefined ? {} : { connectStoppedBecause: guarded.stoppedBecause }),
      steps: stepResults,
      judged,
      ...(stoppedBecause === undefined ? {} : { rampStoppedBecause: stoppedBecause }),
      duplicates: sum((r) => r.duplicates),
      outOfOrder: sum((r) => r.outOfOrder),
      lostTotal: expectedTotal - receivedTotal,
      expectedTotal,
      roomSeqGaps: sum((r) => r.roomSeqGaps),
      roomSeqBackwards: sum((r) => r.roomSeqBackwards),
      verified: sum((r) => r.verified),
      verifyFailures: sum((r) => r.verifyFailures),
      verifyExamples: results.flatMap((r) => r.verifyExamples).slice(0, 5),
      errorFrames: sum((r) => r.errorFrames),
      errorMessages: merge((r) => r.errorMessages),
      sendErrors: merge((r) => r.sendErrors),
      unexpectedCloses: merge((r) => r.unexpectedCloses),
      receiptsOutstanding: sum((r) => r.receiptsOutstanding),
      sendsSkipped: sum((r) => r.sendsSkipped),
      maxSendLagMs: toMs(Math.max(...results.map((r) => r.maxLagUs))),
      sendLag: latencyOf(results.map((r) => r.lagHist)),
      drainSeconds,
      isDrained,
      busyBeforePct,
      procs: monitor.window(window[0], window[1]),
      ...(pipeline === undefined ? {} : { pipeline }),
    }
  } finally {
    monitor.stop()
    await generator?.close()
    log(`  stopping ${system.label}`)
    await system.stop()
  }
}

function reduceSteps (
  results: readonly WorkerResult[],
  steps: Plan['steps'],
  stepStarts: readonly number[],
  expectedOf: (sent: Iterable<readonly [number, number]>) => number,
  o: LoadOptions,
  lastStep: number,
  stoppedAtUs: number,
): StepResult[] {
  const out: StepResult[] = []
  const startUs = stepStarts[0] ?? 0
  for (let k = 0; k < Math.min(steps.length, lastStep + 1); k++) {
    const s = steps[k] as Plan['steps'][number]
    const stepStart = stepStarts[k] ?? 0
    const isPartial = stoppedAtUs < stepStart + s.durationMs * 1000
    const durationS = isPartial ? Math.max(0.001, (stoppedAtUs - stepStart) / 1e6) : s.durationMs / 1000
    const sent: Array<[number, number]> = []
    for (const r of results) for (const x of r.sent) sent.push([x.id, x.perStep[k] ?? 0])
    const expected = expectedOf(sent)
    const received = results.reduce((a, r) => a + (r.steps[k]?.received ?? 0), 0)
    // Deliveries received in the step's wall-clock window, from the 100 ms bins.
    const from = Math.round(((stepStarts[k] ?? 0) - startUs) / 100_000)
    const to = from + Math.round(durationS * 10)
    let inWindow = 0
    for (const r of results) for (let b = from; b < to; b++) inWindow += r.recvBins[b] ?? 0
    const latency = latencyOf(results.map((r) => r.steps[k]?.hist ?? '').filter(Boolean))
    const lost = expected - received
    out.push({
      step: k,
      ratePerSender: s.ratePerSender,
      durationS,
      offeredPerS: expected / durationS,
      expected,
      received,
      lost,
      deliveredPerS: inWindow / durationS,
      latency,
      receiptLatency: latencyOf(results.map((r) => r.steps[k]?.receiptHist ?? '').filter(Boolean)),
      workerElu: results.map((r) => Math.round((r.steps[k]?.elu ?? 0) * 100) / 100),
      isSustained: !isPartial && expected > 0 && lost === 0 && latency.p99 < o.p99LimitMs,
      isPartial,
    })
  }
  return out
}

// --- S4: idle connections ------------------------------------------------------------------------

export interface IdleOptions {
  readonly workers: number
  readonly connectConcurrency: number
  readonly connectTimeoutMs: number
  /** Stop opening after this many failures in a row (a server at its limit). */
  readonly stopAfterFailures: number
  readonly leanWs: boolean
  readonly holdS: number
  readonly settleS: number
  readonly quietWaitS: number
  /** Take heap snapshots of the connection holder before and after, and diff them. */
  readonly heap: boolean
  readonly log: (line: string) => void
}

export interface IdleResult {
  readonly system: string
  readonly kind: string
  readonly notes: readonly string[]
  readonly connect: ConnectFigures
  readonly connectStoppedBecause?: string
  readonly holder: string
  readonly rssBeforeMiB: number
  readonly rssAfterMiB: number
  readonly peakRssMiB: number
  /** (after − before) / connections ready, KiB. */
  readonly kibPerConnection: number
  readonly openAtEnd: number
  readonly unexpectedCloses: Readonly<Record<string, number>>
  readonly errorFrames: number
  readonly errorMessages: Readonly<Record<string, number>>
  readonly heartbeatsIn: number
  /** CPU while holding the idle connections. */
  readonly procs: WindowFigures
  readonly stoppedEarly: boolean
  readonly busyBeforePct: number
  readonly serverFacts?: Record<string, unknown>
  readonly heap?: HeapDiff
}

export async function runIdle (system: SystemUnderTest, layout: Layout, o: IdleOptions): Promise<IdleResult> {
  const log = o.log
  const busyBeforePct = o.quietWaitS > 0 ? await waitForQuiet(o.quietWaitS, 25, log) : 0
  log(`- ${system.label}: starting`)
  await system.start()
  const monitor = new ProcMonitor()
  let generator: Generator | undefined
  try {
    const specs = await system.prepare(layout, log)
    for (const w of system.watched()) monitor.watch(w)
    watchInfra(monitor, system)
    monitor.watch({ name: 'generator', role: 'generator', pid: process.pid })
    monitor.start()
    // Let start-up garbage settle before the "before" reading.
    await sleep(o.settleS * 1000)
    const rssBefore = monitor.rssKiB(system.connectionHolder)
    const heapBefore = o.heap ? await system.heapSnapshot?.('before') : undefined
    monitor.resetPeaks()
    generator = new Generator(specs, {
      workers: o.workers,
      system: system.kind,
      roomSenders: layout.roomSenders,
      totalSenders: layout.totalSenders,
      payloadChars: 0,
      receipts: false,
      verifyEvery: 0,
      connectConcurrency: o.connectConcurrency,
      connectTimeoutMs: o.connectTimeoutMs,
      stopAfterFailures: o.stopAfterFailures,
      leanWs: o.leanWs,
    })
    const guarded = await connectGuarded(generator, system, log)
    const reports = guarded.reports
    const connect = connectFigures(reports)
    log(`  connected ${connect.ready}/${connect.attempted} (${connect.perSecond.toFixed(0)}/s)${connect.failed > 0 ? ` failures: ${JSON.stringify(connect.failures)}` : ''}`)
    const serverFacts = await system.serverFacts?.()
    if (serverFacts !== undefined) log(`  server: ${JSON.stringify(serverFacts)}`)
    monitor.mark('held')
    await sleep(o.holdS * 1000)
    monitor.mark('end')
    const rssAfter = monitor.rssKiB(system.connectionHolder)
    const procs = monitor.window('held', 'end')
    const peak = procs.procs.find((p) => p.name === system.connectionHolder)?.peakRssMiB ?? 0
    const results = await generator.collect()
    const merge = (f: (r: WorkerResult) => Readonly<Record<string, number>>): Record<string, number> => {
      const out: Record<string, number> = {}
      for (const r of results) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v
      return out
    }
    let heap: HeapDiff | undefined
    if (heapBefore !== undefined) {
      const heapAfter = await system.heapSnapshot?.('after')
      if (heapAfter !== undefined) {
        heap = diffHeaps(heapBefore, heapAfter, connect.ready)
        log(formatHeapDiff(`  ${system.label} heap`, heap))
      }
    }
    return {
      system: system.label,
      kind: system.kind,
      notes: system.notes(),
      connect,
      ...(guarded.stoppedBecause === undefined ? {} : { connectStoppedBecause: guarded.stoppedBecause }),
      holder: system.connectionHolder,
      rssBeforeMiB: rssBefore / 1024,
      rssAfterMiB: rssAfter / 1024,
      peakRssMiB: peak,
      kibPerConnection: connect.ready > 0 ? (rssAfter - rssBefore) / connect.ready : 0,
      openAtEnd: results.reduce((a, r) => a + r.openAtEnd, 0),
      unexpectedCloses: merge((r) => r.unexpectedCloses),
      errorFrames: results.reduce((a, r) => a + r.errorFrames, 0),
      errorMessages: merge((r) => r.errorMessages),
      heartbeatsIn: results.reduce((a, r) => a + r.heartbeatsIn, 0),
      procs,
      stoppedEarly: connect.attempted < specs.length,
      busyBeforePct,
      ...(serverFacts === undefined ? {} : { serverFacts }),
      ...(heap === undefined ? {} : { heap }),
    }
  } finally {
    monitor.stop()
    await generator?.close()
    log(`  stopping ${system.label}`)
    await system.stop()
  }
}
