/** What the orchestrator (main thread) and the generator workers say to each other. All plain data. */

export type SystemKind = 'ours' | 'webstomp' | 'ws'

/** One client connection as a worker opens it. */
export interface ConnSpec {
  /** Global index, unique in the run. */
  readonly index: number
  readonly url: string
  readonly protocols: readonly string[]
  /** The CONNECT frame; undefined for the bare `ws` baseline (no STOMP). */
  readonly connect?: string
  /** The SUBSCRIBE frame, carrying `receipt:sub`; undefined for the bare `ws` baseline (the room is in the URL). */
  readonly subscribe?: string
  readonly room: number
  /** Present when this connection sends: its global sender id and its pre-serialized SEND prefix. */
  readonly sender?: { readonly id: number, readonly prefix: string }
  /** Client heart-beat offer `cx,cy` (ms). */
  readonly heartbeat: readonly [number, number]
}

export interface WorkerInit {
  readonly workerId: number
  readonly system: SystemKind
  readonly conns: readonly ConnSpec[]
  /** Room index → the global sender ids sending there. */
  readonly roomSenders: ReadonlyArray<readonly number[]>
  readonly totalSenders: number
  readonly payloadChars: number
  readonly receipts: boolean
  /** Re-read one message in N with JSON.parse and compare. 0: never. */
  readonly verifyEvery: number
  readonly connectConcurrency: number
  readonly connectTimeoutMs: number
  /** Stop opening connections after this many failures in a row (S4 against a capped server). 0: never. */
  readonly stopAfterFailures: number
  /** Read frames with LeanWsReader instead of ws's receiver (see lean-ws.ts). */
  readonly leanWs: boolean
}

/** The sending plan: consecutive steps from `startUs` (monotonic µs). A rate of 0 sends nothing. */
export interface Plan {
  readonly startUs: number
  readonly steps: ReadonlyArray<{ readonly durationMs: number, readonly ratePerSender: number }>
}

export type ToWorker =
  | { readonly type: 'connect' }
  | { readonly type: 'stop-connecting' }
  | { readonly type: 'start', readonly plan: Plan }
  | { readonly type: 'stop-sending' }
  | { readonly type: 'snapshot', readonly step: number }
  | { readonly type: 'totals' }
  | { readonly type: 'collect' }
  | { readonly type: 'close' }

export interface StepSnapshot {
  readonly step: number
  /** Unique deliveries of messages sent in this step, so far. */
  readonly received: number
  /** [sender id, messages sent in this step]. */
  readonly sent: ReadonlyArray<readonly [number, number]>
  /** Send-to-delivery latency of this step's messages, µs, hdr histogram (compressed base64). */
  readonly hist: string
}

export interface ConnectReport {
  readonly attempted: number
  readonly ready: number
  readonly failed: number
  /** First few failure reasons with counts. */
  readonly failures: Readonly<Record<string, number>>
  /** µs from opening the socket to ready (CONNECTED + subscription RECEIPT), hdr histogram. */
  readonly hist: string
  readonly firstStartUs: number
  readonly lastReadyUs: number
  /** Ready subscribers per room index in this worker. */
  readonly readyPerRoom: readonly number[]
}

export interface WorkerResult {
  readonly workerId: number
  /** Per step: unique deliveries, latency and send-to-RECEIPT histograms, event-loop utilization of this worker. */
  readonly steps: ReadonlyArray<{ received: number, hist: string, receiptHist: string, elu: number }>
  readonly sent: ReadonlyArray<{ readonly id: number, readonly room: number, readonly perStep: readonly number[] }>
  readonly duplicates: number
  readonly outOfOrder: number
  /** Our system: `seq` header jumps forward (a room-level gap seen by a receiver), summed. */
  readonly roomSeqGaps: number
  /** Our system: `seq` header at or below the previous one. */
  readonly roomSeqBackwards: number
  readonly verified: number
  readonly verifyFailures: number
  readonly verifyExamples: readonly string[]
  readonly errorFrames: number
  readonly errorMessages: Readonly<Record<string, number>>
  /** Failed SENDs answered on /user/queue/errors, by code. */
  readonly sendErrors: Readonly<Record<string, number>>
  readonly otherMessages: number
  readonly receiptsOutstanding: number
  readonly unexpectedCloses: Readonly<Record<string, number>>
  readonly sendsSkipped: number
  /** Deliveries received per 100 ms bin from `plan.startUs`. */
  readonly recvBins: readonly number[]
  readonly maxLagUs: number
  /** How late sends left against the plan, µs (generator starved or blocked), hdr histogram. */
  readonly lagHist: string
  readonly heartbeatsIn: number
  readonly openAtEnd: number
}

export type FromWorker =
  | { readonly type: 'connected', readonly report: ConnectReport }
  | { readonly type: 'snapshot', readonly snapshot: StepSnapshot }
  | { readonly type: 'totals', readonly received: number, readonly sent: ReadonlyArray<readonly [number, number]> }
  | { readonly type: 'result', readonly result: WorkerResult }
  | { readonly type: 'closed' }
  | { readonly type: 'fatal', readonly error: string }
