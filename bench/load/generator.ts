/**
 * The generator as the orchestrator sees it: N worker threads (default one per core) that share the
 * connections round-robin, so every room has receivers in every worker and a sender's messages cross threads.
 */
import { Worker } from 'node:worker_threads'
import * as hdr from 'hdr-histogram-js'
import type { ConnSpec, ConnectReport, FromWorker, Plan, StepSnapshot, SystemKind, ToWorker, WorkerInit, WorkerResult } from './protocol.js'

const WORKER = new URL('./generator-worker.ts', import.meta.url).href
// Worker threads do not inherit tsx's loader hooks on Node 20: register them in the worker, then load it.
const BOOT = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(WORKER)})`
const HIST = { bitBucketSize: 32, numberOfSignificantValueDigits: 3, highestTrackableValue: 3_600_000_000 } as const

export interface GeneratorOptions {
  readonly workers: number
  readonly system: SystemKind
  readonly roomSenders: ReadonlyArray<readonly number[]>
  readonly totalSenders: number
  readonly payloadChars: number
  readonly receipts: boolean
  readonly verifyEvery: number
  readonly connectConcurrency: number
  readonly connectTimeoutMs: number
  readonly stopAfterFailures: number
  readonly leanWs: boolean
}

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>

/** Adds compressed histograms into one. */
export function mergeHists (encoded: readonly string[]): hdr.Histogram {
  const total = hdr.build(HIST)
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e, 32)
    total.add(h)
  }
  return total
}

export class Generator {
  readonly #workers: Worker[] = []
  readonly #waiting: Array<Map<string, Array<(m: FromWorker) => void>>> = []
  #fatal: string | undefined

  constructor (conns: readonly ConnSpec[], options: GeneratorOptions) {
    const n = Math.max(1, options.workers)
    const shares: ConnSpec[][] = Array.from({ length: n }, () => [])
    conns.forEach((c, i) => shares[i % n]?.push(c))
    for (let w = 0; w < n; w++) {
      const init: WorkerInit = {
        workerId: w,
        system: options.system,
        conns: shares[w] ?? [],
        roomSenders: options.roomSenders,
        totalSenders: options.totalSenders,
        payloadChars: options.payloadChars,
        receipts: options.receipts,
        verifyEvery: options.verifyEvery,
        connectConcurrency: options.connectConcurrency,
        connectTimeoutMs: options.connectTimeoutMs,
        stopAfterFailures: options.stopAfterFailures,
        leanWs: options.leanWs,
      }
      const worker = new Worker(BOOT, { eval: true, workerData: init })
      const waiting = new Map<string, Array<(m: FromWorker) => void>>()
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'fatal') {
          this.#fatal = m.error
          process.stderr.write(`generator worker ${w} failed: ${m.error}\n`)
        }
        const q = waiting.get(m.type)
        const resolve = q?.shift()
        resolve?.(m)
      })
      worker.on('error', (err) => {
        this.#fatal = String(err)
        process.stderr.write(`generator worker ${w} crashed: ${err.stack ?? String(err)}\n`)
      })
      this.#workers.push(worker)
      this.#waiting.push(waiting)
    }
  }

  get fatal (): string | undefined {
    return this.#fatal
  }

  async #ask<T extends FromWorker['type']> (message: ToWorker, reply: T): Promise<Array<Reply<T>>> {
    return await Promise.all(this.#workers.map(async (w, i) => await new Promise<Reply<T>>((resolve, reject) => {
      const waiting = this.#waiting[i] as Map<string, Array<(m: FromWorker) => void>>
      const q = waiting.get(reply) ?? []
      waiting.set(reply, q)
      const onExit = (): void => reject(new Error(`generator worker ${i} exited`))
      w.once('exit', onExit)
      q.push((m) => { w.off('exit', onExit); resolve(m as Reply<T>) })
      w.postMessage(message)
    })))
  }

  async connect (): Promise<ConnectReport[]> {
    return (await this.#ask({ type: 'connect' }, 'connected')).map((m) => m.report)
  }

  /** Lets the connections being opened finish and opens no more. */
  stopConnecting (): void {
    for (const w of this.#workers) w.postMessage({ type: 'stop-connecting' } satisfies ToWorker)
  }

  start (plan: Plan): void {
    for (const w of this.#workers) w.postMessage({ type: 'start', plan } satisfies ToWorker)
  }

  stopSending (): void {
    for (const w of this.#workers) w.postMessage({ type: 'stop-sending' } satisfies ToWorker)
  }

  async snapshot (step: number): Promise<StepSnapshot[]> {
    return (await this.#ask({ type: 'snapshot', step }, 'snapshot')).map((m) => m.snapshot)
  }

  async totals (): Promise<{ received: number, sent: Map<number, number> }> {
    const replies = await this.#ask({ type: 'totals' }, 'totals')
    let received = 0
    const sent = new Map<number, number>()
    for (const r of replies) {
      received += r.received
      for (const [id, n] of r.sent) sent.set(id, n)
    }
    return { received, sent }
  }

  async collect (): Promise<WorkerResult[]> {
    return (await this.#ask({ type: 'collect' }, 'result')).map((m) => m.result)
  }

  async close (): Promise<void> {
    await this.#ask({ type: 'close' }, 'closed').catch(() => [])
    await Promise.all(this.#workers.map(async (w) => await w.terminate()))
  }
}
