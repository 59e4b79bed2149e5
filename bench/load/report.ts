/** Text tables and target verdicts for the load bench. */
import type { IdleResult, LoadResult, StepResult } from './runner.js'
import type { HistogramDelta } from './service-metrics.js'

const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-'

/** A table with a label column and one column per system. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows]
  const widths = header.map((_h, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: readonly string[]): string => r.map((c, i) => i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function lat (s: StepResult | undefined): string {
  if (s === undefined || s.latency.count === 0) return '-'
  const l = s.latency
  return `${fmt(l.p50, 1)} / ${fmt(l.p90, 1)} / ${fmt(l.p99, 1)} / ${fmt(l.p999, 1)} / ${fmt(l.max, 0)}`
}

function cpuOf (r: LoadResult | IdleResult, role: 'server' | 'infra' | 'generator'): string {
  return r.procs.procs.filter((p) => p.role === role).map((p) => `${p.name} ${fmt(p.cpuPct)}`).join(', ') || '-'
}

function rssOf (r: LoadResult | IdleResult): string {
  return r.procs.procs.filter((p) => p.role === 'server').map((p) => `${p.name} ${fmt(p.peakRssMiB)}`).join(', ') || '-'
}

function hd (h: HistogramDelta | undefined, digits = 1): string {
  return h === undefined ? '-' : `${fmt(h.mean, digits)} (p50<=${fmt(h.p50le, digits)}, p99<=${fmt(h.p99le, digits)})`
}

/**
 * CPU cost of one delivery in the judged window, µs: the system's processes; with the shared servers (RabbitMQ,
 * PostgreSQL, Redis: ours uses them, the others leave them idle); the generator. On a shared machine this is the
 * steadier figure: rates move with the other load, CPU per delivery much less.
 */
function perDelivery (r: LoadResult): string {
  const rate = r.judged?.deliveredPerS ?? 0
  if (rate <= 0) return '-'
  const sum = (role: string): number => r.procs.procs.filter((p) => p.role === role).reduce((a, p) => a + p.cpuPct, 0)
  const us = (pct: number): string => fmt((pct / 100) * 1e6 / rate, 1)
  return `${us(sum('server'))} / ${us(sum('server') + sum('infra'))} / ${us(sum('generator'))}`
}

function counts (rec: Readonly<Record<string, number>>): string {
  const e = Object.entries(rec)
  return e.length === 0 ? '0' : e.map(([k, v]) => `${v} ${k}`).join('; ')
}

/** The per-system table of a load run (S1, S2, S3). */
export function loadTable (results: readonly LoadResult[], judgedLabel: string): string {
  const header = ['', ...results.map((r) => r.system)]
  const row = (label: string, f: (r: LoadResult) => string): string[] => [label, ...results.map(f)]
  return table(header, [
    row('connect: ready/attempted', (r) => `${r.connect.ready}/${r.connect.attempted}`),
    row('connect rate /s', (r) => fmt(r.connect.perSecond)),
    row('connect p50/p99 ms', (r) => `${fmt(r.connect.latency.p50, 1)} / ${fmt(r.connect.latency.p99, 1)}`),
    row('connect failures / guard', (r) => `${counts(r.connect.failures)}${r.connectStoppedBecause === undefined ? '' : `; stopped: ${r.connectStoppedBecause}`}`),
    row(`${judgedLabel}: rate msg/s per sender`, (r) => r.judged === undefined ? '-' : fmt(r.judged.ratePerSender, 2)),
    row('offered deliveries/s', (r) => r.judged === undefined ? '-' : fmt(r.judged.offeredPerS)),
    row('deliveries/s (received)', (r) => r.judged === undefined ? '-' : fmt(r.judged.deliveredPerS)),
    row('latency ms p50/p90/p99/p99.9/max', (r) => lat(r.judged)),
    row('send->RECEIPT ms p50/p99', (r) => r.judged === undefined || r.judged.receiptLatency.count === 0 ? '-' : `${fmt(r.judged.receiptLatency.p50, 1)} / ${fmt(r.judged.receiptLatency.p99, 1)}`),
    row('expected (whole run)', (r) => fmt(r.expectedTotal)),
    row('lost (not received after drain)', (r) => fmt(r.lostTotal)),
    row('duplicated', (r) => fmt(r.duplicates)),
    row('out of order (per sender seq)', (r) => fmt(r.outOfOrder)),
    row('room seq gaps / backwards (ours)', (r) => r.kind === 'ours' ? `${fmt(r.roomSeqGaps)} / ${fmt(r.roomSeqBackwards)}` : '-'),
    row('ERROR frames', (r) => r.errorFrames === 0 ? '0' : `${r.errorFrames} (${counts(r.errorMessages)})`),
    row('send errors (/user/queue/errors)', (r) => counts(r.sendErrors)),
    row('unexpected closes', (r) => counts(r.unexpectedCloses)),
    row('receipts outstanding at end', (r) => fmt(r.receiptsOutstanding)),
    row('lean parse verified / failed', (r) => `${fmt(r.verified)} / ${fmt(r.verifyFailures)}`),
    row('drain s (complete?)', (r) => `${fmt(r.drainSeconds, 1)} (${r.isDrained ? 'yes' : 'no'})`),
    row('ours: dispatcher batch size mean', (r) => hd(r.pipeline?.batchSize)),
    row('ours: persist transaction ms mean', (r) => hd(r.pipeline?.persistMs)),
    row('ours: publish to chat.deliver ms mean', (r) => hd(r.pipeline?.deliverMs)),
    row('ours: edge dup dropped / gap filled / slow closed', (r) => r.pipeline === undefined ? '-' : `${r.pipeline.edgeDuplicatesDropped} / ${r.pipeline.edgeGapFilled} / ${r.pipeline.slowConsumerCloses}`),
    row('server CPU % of a core', (r) => cpuOf(r, 'server')),
    row('CPU µs per delivery: server / +infra / generator', (r) => perDelivery(r)),
    row('infra CPU %', (r) => cpuOf(r, 'infra')),
    row('generator CPU % (all threads)', (r) => cpuOf(r, 'generator')),
    row('generator worker ELU', (r) => r.judged === undefined ? '-' : r.judged.workerElu.map((e) => fmt(e, 2)).join(' ')),
    row('generator send lag ms p50/p99/max', (r) => `${fmt(r.sendLag.p50, 1)} / ${fmt(r.sendLag.p99, 1)} / ${fmt(r.maxSendLagMs, 1)}`),
    row('machine busy % before / during', (r) => `${fmt(r.busyBeforePct)} / ${fmt(r.procs.machineBusyPct)}`),
    row('other CPU % (not watched)', (r) => fmt(r.procs.otherCpuPct)),
    row('server peak RSS MiB', (r) => rssOf(r)),
  ])
}

/** The steps of a ramp, one table per system. */
export function rampTable (r: LoadResult): string {
  const rows = r.steps.map((s) => [
    s.step === 0 ? 'warm-up' : String(s.step),
    fmt(s.ratePerSender, 2),
    fmt(s.offeredPerS),
    fmt(s.deliveredPerS),
    lat(s),
    fmt(s.lost),
    s.workerElu.map((e) => fmt(e, 2)).join(' '),
    s.step === 0 ? '' : s.isPartial ? `(partial, ${fmt(s.durationS, 1)} s)` : s.isSustained ? 'yes' : 'NO',
  ])
  return table(['step', 'msg/s/sender', 'offered/s', 'delivered/s', 'p50/p90/p99/p99.9/max ms', 'lost', 'gen ELU', 'sustained'], rows)
}

export function idleTable (results: readonly IdleResult[]): string {
  const header = ['', ...results.map((r) => r.system)]
  const row = (label: string, f: (r: IdleResult) => string): string[] => [label, ...results.map(f)]
  return table(header, [
    row('connections ready/attempted', (r) => `${r.connect.ready}/${r.connect.attempted}${r.stoppedEarly ? ' (stopped)' : ''}`),
    row('connect failures', (r) => counts(r.connect.failures)),
    row('stopped opening because', (r) => r.connectStoppedBecause ?? (r.stoppedEarly ? `${String(r.connect.failed)} failures in a row` : '-')),
    row('connect rate /s', (r) => fmt(r.connect.perSecond)),
    row('connect p50/p99 ms', (r) => `${fmt(r.connect.latency.p50, 1)} / ${fmt(r.connect.latency.p99, 1)}`),
    row('server limits seen', (r) => r.serverFacts === undefined ? '-' : `open fds ${String(r.serverFacts.beam_open_fds)} of ${String(r.serverFacts.fd_total)}; mgmt fd_used ${String(r.serverFacts.fd_used)}, sockets ${String(r.serverFacts.sockets_used)}/${String(r.serverFacts.sockets_total)}`),
    row('holder process', (r) => r.holder),
    row('RSS before / after MiB', (r) => `${fmt(r.rssBeforeMiB, 1)} / ${fmt(r.rssAfterMiB, 1)}`),
    row('KiB per idle connection', (r) => fmt(r.kibPerConnection, 1)),
    row('open at end of hold', (r) => fmt(r.openAtEnd)),
    row('unexpected closes', (r) => counts(r.unexpectedCloses)),
    row('ERROR frames', (r) => r.errorFrames === 0 ? '0' : `${r.errorFrames} (${counts(r.errorMessages)})`),
    row('heart-beats received', (r) => fmt(r.heartbeatsIn)),
    row('server CPU % while idle', (r) => cpuOf(r, 'server')),
    row('generator CPU %', (r) => cpuOf(r, 'generator')),
    row('infra CPU %', (r) => cpuOf(r, 'infra')),
    row('other CPU % (not watched)', (r) => fmt(r.procs.otherCpuPct)),
  ])
}

export interface Verdict {
  readonly scenario: string
  readonly target: string
  readonly value: string
  readonly pass: boolean | undefined
}

export function verdictLines (verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `  ${v.pass === undefined ? 'N/A ' : v.pass ? 'PASS' : 'FAIL'}  ${v.scenario} ${v.target}: ${v.value}`).join('\n')
}

export { fmt }
