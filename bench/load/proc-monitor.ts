/**
 * CPU and memory of the processes under test, from /proc: CPU as user+sys ticks of /proc/<pid>/stat (all
 * threads), RSS as VmRSS of /proc/<pid>/status sampled every 250 ms (peak kept). A watched entry may be a
 * process tree (PostgreSQL: the postmaster and its backends), re-listed at each sample.
 */
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

const TICK_HZ = 100 // getconf CLK_TCK on Linux x86-64 and arm64

export type Role = 'server' | 'infra' | 'generator'

export interface Watched {
  readonly name: string
  readonly role: Role
  /** The pid; with `tree`, its children (one level: PostgreSQL backends) count too. */
  readonly pid: number
  readonly tree?: boolean
}

interface Sample {
  /** Sum of user+sys ticks seen per pid (children that exited are lost, which undercounts short-lived ones). */
  readonly ticks: Map<number, number>
  readonly atMs: number
}

function readTicks (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // Fields after the command name, which may contain spaces, come after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(rest[11]) + Number(rest[12]) // utime, stime (fields 14 and 15)
  } catch {
    return undefined
  }
}

function readRssKiB (pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1')
    const m = /VmRSS:\s+(\d+) kB/.exec(status)
    return m === null ? 0 : Number(m[1])
  } catch {
    return 0
  }
}

function children (pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function pidsOf (w: Watched): number[] {
  return w.tree === true ? [w.pid, ...children(w.pid)] : [w.pid]
}

/** Whole-machine busy share (all CPUs) from /proc/stat. */
function machineTicks (): { busy: number, total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? ''
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const total = v.reduce((a, b) => a + b, 0)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  return { busy: total - idle, total }
}

export interface ProcFigures {
  readonly name: string
  readonly role: Role
  /** Share of one core during the window, %. */
  readonly cpuPct: number
  readonly peakRssMiB: number
  readonly rssAtStartMiB: number
  readonly rssAtEndMiB: number
}

export interface WindowFigures {
  readonly seconds: number
  readonly procs: readonly ProcFigures[]
  /** Whole machine, % of all cores busy. */
  readonly machineBusyPct: number
  /** CPU of everything not watched (other work on the machine, the kernel's network stack), % of one core. */
  readonly otherCpuPct: number
}

/** Samples RSS continuously; `mark()` / `window(from, to)` give CPU between two marks. */
export class ProcMonitor {
  readonly #watched: Watched[] = []
  readonly #peakKiB = new Map<string, number>()
  readonly #marks = new Map<string, { sample: Map<string, Sample>, machine: { busy: number, total: number }, rssKiB: Map<string, number> }>()
  #timer: NodeJS.Timeout | undefined

  watch (w: Watched): void {
    this.#watched.push(w)
  }

  start (): void {
    this.#sampleRss()
    this.#timer = setInterval(() => this.#sampleRss(), 250)
    this.#timer.unref()
  }

  stop (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  /** Resets the peaks (e.g. after set-up, so the peak is the run's). */
  resetPeaks (): void {
    this.#peakKiB.clear()
    this.#sampleRss()
  }

  rssKiB (name: string): number {
    const w = this.#watched.find((x) => x.name === name)
    return w === undefined ? 0 : pidsOf(w).reduce((a, p) => a + readRssKiB(p), 0)
  }

  mark (label: string): void {
    const sample = new Map<string, Sample>()
    const rssKiB = new Map<string, number>()
    for (const w of this.#watched) {
      const ticks = new Map<number, number>()
      for (const p of pidsOf(w)) {
        const t = readTicks(p)
        if (t !== undefined) ticks.set(p, t)
      }
      sample.set(w.name, { ticks, atMs: Date.now() })
      rssKiB.set(w.name, this.rssKiB(w.name))
    }
    this.#marks.set(label, { sample, machine: machineTicks(), rssKiB })
  }

  /** CPU between two marks, peak RSS since the last `resetPeaks`. */
  window (from: string, to: string): WindowFigures {
    const a = this.#marks.get(from)
    const b = this.#marks.get(to)
    if (a === undefined || b === undefined) throw new Error(`no mark ${from} or ${to}`)
    const procs: ProcFigures[] = []
    let seconds = 0
    for (const w of this.#watched) {
      const sa = a.sample.get(w.name)
      const sb = b.sample.get(w.name)
      if (sa === undefined || sb === undefined) continue
      let ticks = 0
      for (const [pid, t] of sb.ticks) ticks += t - (sa.ticks.get(pid) ?? (w.tree === true && pid !== w.pid ? 0 : t))
      seconds = (sb.atMs - sa.atMs) / 1000
      procs.push({
        name: w.name,
        role: w.role,
        cpuPct: seconds > 0 ? (ticks / TICK_HZ / seconds) * 100 : 0,
        peakRssMiB: (this.#peakKiB.get(w.name) ?? 0) / 1024,
        rssAtStartMiB: (a.rssKiB.get(w.name) ?? 0) / 1024,
        rssAtEndMiB: (b.rssKiB.get(w.name) ?? 0) / 1024,
      })
    }
    const busy = b.machine.busy - a.machine.busy
    const total = b.machine.total - a.machine.total
    const busyPct = total > 0 ? (busy / total) * 100 : 0
    const watchedPct = procs.reduce((a, p) => a + p.cpuPct, 0)
    return { seconds, procs, machineBusyPct: busyPct, otherCpuPct: Math.max(0, busyPct * cpus().length - watchedPct) }
  }

  #sampleRss (): void {
    for (const w of this.#watched) {
      const kib = this.rssKiB(w.name)
      if (kib > (this.#peakKiB.get(w.name) ?? 0)) this.#peakKiB.set(w.name, kib)
    }
  }
}

/** The machine's busy share (% of all cores) over the next `ms`. */
export async function machineBusyOver (ms: number): Promise<number> {
  const a = machineTicks()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const b = machineTicks()
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : 0
}

/**
 * Waits (bounded) until the machine is quiet before a run: the servers share the 2 cores with whatever else runs
 * (builds, other test suites), which moves latencies by an order of magnitude. Returns the last busy reading.
 */
export async function waitForQuiet (maxWaitS: number, thresholdPct: number, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + maxWaitS * 1000
  let busy = await machineBusyOver(2000)
  let said = false
  while (busy > thresholdPct && Date.now() < deadline) {
    if (!said) log(`  waiting for the machine to be quiet (busy ${busy.toFixed(0)} % > ${thresholdPct} %, up to ${maxWaitS} s)`)
    said = true
    busy = await machineBusyOver(3000)
  }
  if (busy > thresholdPct) log(`  machine still busy (${busy.toFixed(0)} %): running anyway`)
  return busy
}
