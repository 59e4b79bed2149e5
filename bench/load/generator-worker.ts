/**
 * One generator thread: opens its share of the connections, sends on the schedule the orchestrator gives it,
 * and reads every delivery with the lean framing of `lean-stomp.ts`. Per receiver and per sender it tracks the
 * per-sender sequence (bitset: duplicates and order exact), per room the `seq` header (our system), and per
 * send step the latency histogram. Sends are open-loop: due times come from the plan, not from replies.
 */
import { parentPort, workerData } from 'node:worker_threads'
import WebSocket from 'ws'
import * as hdr from 'hdr-histogram-js'
import { nowUs } from './clock.js'
import { Command, LeanFrameSplitter, headerInt, headerKey, headerValue, sendFrame } from './lean-stomp.js'
import { takeOverReceive } from './lean-ws.js'
import { buildBody, readFields, verifyBody, type BenchFields } from './payload.js'
import type { ConnSpec, ConnectReport, FromWorker, Plan, StepSnapshot, ToWorker, WorkerInit, WorkerResult } from './protocol.js'

const init = workerData as WorkerInit
const port = parentPort
if (port === null) throw new Error('generator-worker must run in a worker thread')

const HIST = { bitBucketSize: 32, numberOfSignificantValueDigits: 3, highestTrackableValue: 3_600_000_000 } as const
const newHist = (): hdr.Histogram => hdr.build(HIST)

const SEQ = headerKey('seq')
const RECEIPT_ID = headerKey('receipt-id')
const HEART_BEAT = headerKey('heart-beat')
const MESSAGE_HDR = headerKey('message')
const CODE = headerKey('code')
const USER_ERRORS = Buffer.from('destination:/user/queue/errors')
const BIN_US = 100_000

/** One receiver's view of one sender: highest seq seen and a bitset of the seqs seen. */
class Track {
  last = 0
  bits = new Uint8Array(256)

  /** Returns 0 new in order, 1 new out of order, 2 duplicate. */
  see (seq: number): number {
    const byte = seq >>> 3
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, byte + 1))
      grown.set(this.bits)
      this.bits = grown
    }
    const mask = 1 << (seq & 7)
    const b = this.bits[byte] as number
    if ((b & mask) !== 0) return 2
    this.bits[byte] = b | mask
    if (seq < this.last) return 1
    this.last = seq
    return 0
  }
}

// Sender id → its slot in its room's sender list.
const senderSlot = new Int32Array(init.totalSenders).fill(-1)
for (const senders of init.roomSenders) senders.forEach((id, slot) => { senderSlot[id] = slot })

// --- run state ----------------------------------------------------------------------------------

let plan: Plan | undefined
let stepStartsUs: number[] = []
let endUs = 0
const stepReceived: number[] = []
const stepHist: hdr.Histogram[] = []
const receiptHist: hdr.Histogram[] = []
const stepElu: Array<ReturnType<typeof performance.eventLoopUtilization>> = []
const stepEluDone: number[] = []
let duplicates = 0
let outOfOrder = 0
let roomSeqGaps = 0
let roomSeqBackwards = 0
let verified = 0
let verifyFailures = 0
const verifyExamples: string[] = []
let errorFrames = 0
const errorMessages: Record<string, number> = {}
const sendErrors: Record<string, number> = {}
let otherMessages = 0
const unexpectedCloses: Record<string, number> = {}
let sendsSkipped = 0
const recvBins: number[] = []
let maxLagUs = 0
const lagHist = newHist()
let isClosing = false
/** Set by the orchestrator when the server nears a limit it must not reach (Web-STOMP's file descriptors). */
let stopConnecting = false
let deliveryCount = 0
const fields: BenchFields = { sender: 0, seq: 0, sentUs: 0, step: 0 }

function bump (record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1
}

function histFor (list: hdr.Histogram[], step: number): hdr.Histogram {
  let h = list[step]
  while (h === undefined) {
    list.push(newHist())
    h = list[step]
  }
  return h
}

class Conn {
  readonly spec: ConnSpec
  ws: WebSocket | undefined
  readonly splitter: LeanFrameSplitter
  readonly tracks: Track[]
  isReady = false
  isClosed = false
  lastSentMs = 0
  heartbeatEveryMs = 0
  roomSeqLast = 0
  closeFrameCode: number | undefined
  // sender state
  seq = 0
  nextUs = 0
  sentPerStep: number[] = []
  sendTimes: Float64Array = new Float64Array(0)
  receiptsPending = 0
  #onReady: ((error?: string) => void) | undefined

  constructor (spec: ConnSpec) {
    this.spec = spec
    const senders = init.roomSenders[spec.room] ?? []
    this.tracks = senders.map(() => new Track())
    this.splitter = new LeanFrameSplitter((command, buf, start, headerEnd, bodyStart, bodyEnd) => {
      this.#onFrame(command, buf, start, headerEnd, bodyStart, bodyEnd)
    })
    if (spec.sender !== undefined) this.sendTimes = new Float64Array(1024)
  }

  /** Opens, CONNECTs and SUBSCRIBEs (waiting for the subscription's RECEIPT). Resolves with an error text on failure. */
  async open (): Promise<string | undefined> {
    return await new Promise<string | undefined>((resolve) => {
      let isDone = false
      const done = (error?: string): void => {
        if (isDone) return
        isDone = true
        clearTimeout(timer)
        this.#onReady = undefined
        if (error === undefined) this.isReady = true
        else this.ws?.terminate()
        resolve(error)
      }
      const timer = setTimeout(() => done(`timeout after ${init.connectTimeoutMs} ms`), init.connectTimeoutMs)
      this.#onReady = done
      const ws = new WebSocket(this.spec.url, [...this.spec.protocols], {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        maxPayload: 16 * 1024 * 1024,
        handshakeTimeout: init.connectTimeoutMs,
      })
      this.ws = ws
      // Bare ws baseline: each WebSocket message is one body as sent; `\n` alone is a heart-beat.
      const onWsMessage = init.system === 'ws'
        ? (data: Buffer) => {
            if (data.length === 1 && data[0] === 10) this.splitter.heartbeats++
            else this.#onMessage(data, 0, 0, 0, data.length)
          }
        : (data: Buffer) => this.splitter.push(data)
      if (!init.leanWs) ws.on('message', onWsMessage)
      ws.once('unexpected-response', (_req, res) => done(`http ${res.statusCode ?? 0}`))
      ws.on('error', (err: Error & { code?: string }) => done(err.code ?? err.message))
      ws.on('close', (code: number) => {
        this.isClosed = true
        const c = this.closeFrameCode ?? code
        if (!isDone) done(`closed ${c}`)
        else if (!isClosing) bump(unexpectedCloses, String(c))
      })
      ws.once('open', () => {
        if (init.leanWs) takeOverReceive(ws, onWsMessage, (code) => { this.closeFrameCode = code })
        this.lastSentMs = Date.now()
        if (this.spec.connect === undefined) {
          // Bare ws baseline: joined to the room by the URL, nothing to negotiate; heart-beats at our own offer.
          this.heartbeatEveryMs = this.spec.heartbeat[0]
          done()
          return
        }
        ws.send(this.spec.connect)
      })
    })
  }

  send (text: string): void {
    this.ws?.send(text)
    this.lastSentMs = Date.now()
  }

  #onFrame (command: Command, buf: Buffer, start: number, headerEnd: number, bodyStart: number, bodyEnd: number): void {
    switch (command) {
      case Command.MESSAGE:
        this.#onMessage(buf, start, headerEnd, bodyStart, bodyEnd)
        return
      case Command.RECEIPT: {
        const id = headerValue(buf, start, headerEnd, RECEIPT_ID)
        if (id === 'sub') {
          this.#onReady?.()
          return
        }
        const seq = Number(id)
        if (Number.isInteger(seq) && seq > 0 && seq < this.sendTimes.length) {
          const sentUs = this.sendTimes[seq] as number
          if (sentUs > 0) {
            this.sendTimes[seq] = 0
            this.receiptsPending--
            histFor(receiptHist, stepOf(sentUs)).recordValue(Math.max(1, nowUs() - sentUs))
          }
        }
        return
      }
      case Command.CONNECTED: {
        const hb = headerValue(buf, start, headerEnd, HEART_BEAT)
        if (hb !== undefined) {
          // The server's `sx,sy`: we send every max(our cx, its sy) when both are non-zero (STOMP 1.2).
          const sy = Number(hb.split(',')[1])
          const [cx] = this.spec.heartbeat
          this.heartbeatEveryMs = cx > 0 && sy > 0 ? Math.max(cx, sy) : 0
        }
        if (this.spec.subscribe === undefined) this.#onReady?.()
        else this.send(this.spec.subscribe)
        return
      }
      case Command.ERROR: {
        errorFrames++
        const m = headerValue(buf, start, headerEnd, MESSAGE_HDR) ?? buf.toString('utf8', bodyStart, Math.min(bodyEnd, bodyStart + 80))
        bump(errorMessages, m)
        this.#onReady?.(`ERROR ${m}`)
        return
      }
      case Command.OTHER:
        otherMessages++
    }
  }

  #onMessage (buf: Buffer, start: number, headerEnd: number, bodyStart: number, bodyEnd: number): void {
    const t = nowUs()
    if (!readFields(buf, bodyStart, bodyEnd, fields)) {
      const e = buf.indexOf(USER_ERRORS, start)
      if (e >= 0 && e < headerEnd) bump(sendErrors, headerValue(buf, start, headerEnd, CODE) ?? 'unknown')
      else otherMessages++
      return
    }
    const bin = Math.floor((t - (plan?.startUs ?? t)) / BIN_US)
    if (bin >= 0) recvBins[bin] = (recvBins[bin] ?? 0) + 1
    deliveryCount++
    let roomSeq = 0
    if (init.system === 'ours') {
      roomSeq = headerInt(buf, start, headerEnd, SEQ)
      if (this.roomSeqLast > 0) {
        if (roomSeq <= this.roomSeqLast) roomSeqBackwards++
        else roomSeqGaps += roomSeq - this.roomSeqLast - 1
      }
      this.roomSeqLast = roomSeq
    }
    const slot = senderSlot[fields.sender] ?? -1
    const track = slot >= 0 ? this.tracks[slot] : undefined
    if (track === undefined) {
      otherMessages++
      return
    }
    const seen = track.see(fields.seq)
    if (seen === 2) {
      duplicates++
      return
    }
    if (seen === 1) outOfOrder++
    stepReceived[fields.step] = (stepReceived[fields.step] ?? 0) + 1
    histFor(stepHist, fields.step).recordValue(Math.max(1, t - fields.sentUs))
    if (init.verifyEvery > 0 && deliveryCount % init.verifyEvery === 0) {
      verified++
      const why = verifyBody(buf.toString('utf8', bodyStart, bodyEnd), fields, init.system, roomSeq)
      if (why !== undefined) {
        verifyFailures++
        if (verifyExamples.length < 5) verifyExamples.push(why)
      }
    }
  }
}

const conns = init.conns.map((spec) => new Conn(spec))
const senders = conns.filter((c) => c.spec.sender !== undefined)

function stepOf (us: number): number {
  let k = 0
  while (k + 1 < stepStartsUs.length && us >= (stepStartsUs[k + 1] as number)) k++
  return k
}

// --- connecting ---------------------------------------------------------------------------------

async function connectAll (): Promise<ConnectReport> {
  const hist = newHist()
  const failures: Record<string, number> = {}
  let failed = 0
  let ready = 0
  let attempted = 0
  let failStreak = 0
  let next = 0
  const firstStartUs = nowUs()
  let lastReadyUs = firstStartUs
  const lane = async (): Promise<void> => {
    while (next < conns.length) {
      if (stopConnecting) return
      if (init.stopAfterFailures > 0 && failStreak >= init.stopAfterFailures) return
      const c = conns[next++] as Conn
      attempted++
      const t0 = nowUs()
      const error = await c.open()
      if (error === undefined) {
        ready++
        failStreak = 0
        lastReadyUs = nowUs()
        hist.recordValue(Math.max(1, lastReadyUs - t0))
      } else {
        failed++
        failStreak++
        bump(failures, error)
      }
    }
  }
  await Promise.all(Array.from({ length: init.connectConcurrency }, lane))
  const readyPerRoom: number[] = []
  for (const c of conns) if (c.isReady) readyPerRoom[c.spec.room] = (readyPerRoom[c.spec.room] ?? 0) + 1
  for (let i = 0; i < readyPerRoom.length; i++) readyPerRoom[i] ??= 0
  return { attempted, ready, failed, failures, hist: hdr.encodeIntoCompressedBase64(hist), firstStartUs, lastReadyUs, readyPerRoom }
}

// --- heart-beats ----------------------------------------------------------------------------------

const heartbeatTimer = setInterval(() => {
  const now = Date.now()
  for (const c of conns) {
    // Send a little early: the server allows twice its interval, a late timer must not be what drops us.
    if (c.isReady && !c.isClosed && c.heartbeatEveryMs > 0 && now - c.lastSentMs >= c.heartbeatEveryMs - 1500) c.send('\n')
  }
}, 1000)

// --- sending --------------------------------------------------------------------------------------

let sendTimer: NodeJS.Timeout | undefined

function start (p: Plan): void {
  plan = p
  stepStartsUs = []
  let t = p.startUs
  for (const s of p.steps) {
    stepStartsUs.push(t)
    t += s.durationMs * 1000
  }
  endUs = t
  const first = p.steps[0]?.ratePerSender ?? 0
  for (const c of senders) {
    const id = c.spec.sender?.id ?? 0
    const intervalUs = first > 0 ? 1e6 / first : 0
    // Spread the senders over one interval so the fleet does not send in bursts.
    c.nextUs = p.startUs + (intervalUs * id) / Math.max(1, init.totalSenders)
  }
  const startDelayMs = Math.max(0, (p.startUs - nowUs()) / 1000)
  setTimeout(() => {
    stepElu[0] = performance.eventLoopUtilization()
    sendTimer = setInterval(sendTick, 1)
  }, startDelayMs)
}

function rateAt (us: number): number {
  const k = stepOf(us)
  return plan?.steps[k]?.ratePerSender ?? 0
}

let currentStep = 0

function sendTick (): void {
  const now = nowUs()
  const k = stepOf(now)
  while (currentStep < k) {
    // Close the ELU window of the step that ended; open the next.
    const prev = stepElu[currentStep]
    if (prev !== undefined) stepEluDone[currentStep] = performance.eventLoopUtilization(prev).utilization
    currentStep++
    stepElu[currentStep] = performance.eventLoopUtilization()
  }
  if (now >= endUs) {
    stopSending()
    return
  }
  for (const c of senders) {
    while (c.nextUs <= now && c.nextUs < endUs) {
      const rate = rateAt(c.nextUs)
      if (rate <= 0) {
        c.nextUs = stepStartsUs[stepOf(c.nextUs) + 1] ?? endUs
        continue
      }
      const lag = now - c.nextUs
      if (lag > maxLagUs) maxLagUs = lag
      lagHist.recordValue(Math.max(1, lag))
      const step = stepOf(c.nextUs)
      c.nextUs += 1e6 / rate
      if (!c.isReady || c.isClosed) {
        sendsSkipped++
        continue
      }
      sendOne(c, step, now)
    }
  }
}

function sendOne (c: Conn, step: number, sentUs: number): void {
  const sender = c.spec.sender
  if (sender === undefined) return
  const seq = ++c.seq
  const body = buildBody(sender.id, seq, sentUs, step, init.payloadChars)
  c.sentPerStep[step] = (c.sentPerStep[step] ?? 0) + 1
  if (init.system === 'ws') {
    c.send(body)
    return
  }
  let receipt: number | undefined
  if (init.receipts) {
    if (seq >= c.sendTimes.length) {
      const grown = new Float64Array(c.sendTimes.length * 2)
      grown.set(c.sendTimes)
      c.sendTimes = grown
    }
    c.sendTimes[seq] = sentUs
    c.receiptsPending++
    receipt = seq
  }
  c.send(sendFrame(sender.prefix, receipt, body))
}

function stopSending (): void {
  if (sendTimer !== undefined) clearInterval(sendTimer)
  sendTimer = undefined
  endUs = Math.min(endUs, nowUs())
  const prev = stepElu[currentStep]
  if (prev !== undefined && stepEluDone[currentStep] === undefined) stepEluDone[currentStep] = performance.eventLoopUtilization(prev).utilization
}

// --- reporting ------------------------------------------------------------------------------------

function snapshot (step: number): StepSnapshot {
  const sent: Array<[number, number]> = []
  for (const c of senders) sent.push([c.spec.sender?.id ?? 0, c.sentPerStep[step] ?? 0])
  return { step, received: stepReceived[step] ?? 0, sent, hist: hdr.encodeIntoCompressedBase64(histFor(stepHist, step)) }
}

function collect (): WorkerResult {
  const steps = (plan?.steps ?? []).map((_s, k) => ({
    received: stepReceived[k] ?? 0,
    hist: hdr.encodeIntoCompressedBase64(histFor(stepHist, k)),
    receiptHist: hdr.encodeIntoCompressedBase64(histFor(receiptHist, k)),
    elu: stepEluDone[k] ?? 0,
  }))
  let receiptsOutstanding = 0
  for (const c of senders) receiptsOutstanding += c.receiptsPending
  let heartbeatsIn = 0
  let openAtEnd = 0
  for (const c of conns) {
    heartbeatsIn += c.splitter.heartbeats
    if (c.isReady && !c.isClosed) openAtEnd++
  }
  for (let i = 0; i < recvBins.length; i++) recvBins[i] ??= 0
  return {
    workerId: init.workerId,
    steps,
    sent: senders.map((c) => ({ id: c.spec.sender?.id ?? 0, room: c.spec.room, perStep: (plan?.steps ?? []).map((_s, k) => c.sentPerStep[k] ?? 0) })),
    duplicates,
    outOfOrder,
    roomSeqGaps,
    roomSeqBackwards,
    verified,
    verifyFailures,
    verifyExamples,
    errorFrames,
    errorMessages,
    sendErrors,
    otherMessages,
    receiptsOutstanding,
    unexpectedCloses,
    sendsSkipped,
    recvBins,
    maxLagUs,
    lagHist: hdr.encodeIntoCompressedBase64(lagHist),
    heartbeatsIn,
    openAtEnd,
  }
}

function post (m: FromWorker): void {
  port?.postMessage(m)
}

port.on('message', (m: ToWorker) => {
  try {
    switch (m.type) {
      case 'connect':
        connectAll().then((report) => post({ type: 'connected', report }), (err: unknown) => post({ type: 'fatal', error: String(err) }))
        return
      case 'start':
        start(m.plan)
        return
      case 'stop-connecting':
        stopConnecting = true
        return
      case 'stop-sending':
        stopSending()
        return
      case 'snapshot':
        post({ type: 'snapshot', snapshot: snapshot(m.step) })
        return
      case 'totals': {
        let received = 0
        for (const n of stepReceived) received += n ?? 0
        post({ type: 'totals', received, sent: senders.map((c) => [c.spec.sender?.id ?? 0, c.seq] as const) })
        return
      }
      case 'collect':
        post({ type: 'result', result: collect() })
        return
      case 'close':
        isClosing = true
        stopSending()
        clearInterval(heartbeatTimer)
        for (const c of conns) c.ws?.terminate()
        post({ type: 'closed' })
    }
  } catch (err) {
    post({ type: 'fatal', error: err instanceof Error ? err.stack ?? err.message : String(err) })
  }
})
