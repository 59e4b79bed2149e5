import { Ledger, LedgerClient, readStoredMessages, waitFor, type ChatApi, type LedgerReport, type ServiceProcess, type TestUser } from '@chat/testing'

export interface TrafficOptions {
  /** Clients (each its own user and session). */
  readonly clients: number
  readonly rooms: number
  /** SENDs per second per client. */
  readonly ratePerClient: number
  /** Name prefix of the users, unique per case. */
  readonly prefix: string
}

/**
 * Clients that chat while a case breaks things, the way a real client behaves (SPEC section 5): every
 * SEND carries a receipt and a clientMsgId; a closed socket is reopened on a live edge (after the
 * server's `reconnect-after-ms` when it sent one), the rooms resubscribed with `since-seq`, and SENDs
 * never answered — or answered `broker-unavailable` — are sent again with the same id.
 */
export class Traffic {
  readonly ledger = new Ledger()
  readonly clients: LedgerClient[] = []
  readonly rooms: string[] = []
  readonly users: TestUser[] = []
  readonly #api: ChatApi
  readonly #edges: () => ServiceProcess[]
  readonly #options: TrafficOptions
  #timer: NodeJS.Timeout | undefined
  #resendTimer: NodeJS.Timeout | undefined
  #counter = 0
  #stopped = false
  reconnects = 0
  readonly #reconnecting = new Set<LedgerClient>()

  constructor (api: ChatApi, edges: () => ServiceProcess[], options: TrafficOptions) {
    this.#api = api
    this.#edges = edges
    this.#options = options
  }

  /** Users, rooms (everyone in every room), sessions spread over the edges. */
  async start (): Promise<void> {
    const o = this.#options
    for (let i = 0; i < o.clients; i++) this.users.push(await this.#api.user(`${o.prefix}${i}`))
    const owner = this.users[0]
    if (owner === undefined) throw new Error('no clients')
    for (let r = 0; r < o.rooms; r++) {
      const room = await this.#api.createRoom(owner)
      for (const u of this.users.slice(1)) await this.#api.join(u, room)
      this.rooms.push(room)
    }
    for (const u of this.users) {
      this.clients.push(new LedgerClient(u.username, this.ledger, u.accessToken, this.rooms, async (roomId, after, before) => await this.#page(u, roomId, after, before)))
    }
    await Promise.all(this.clients.map(async (c, i) => { await this.#connect(c, i) }))
  }

  /** Starts sending at the configured rate, and resending unanswered SENDs every 2 s. */
  run (): void {
    const o = this.#options
    const everyMs = 50
    let credit = 0
    this.#timer = setInterval(() => {
      credit += (o.ratePerClient * everyMs) / 1000
      const n = Math.floor(credit)
      credit -= n
      for (let k = 0; k < n; k++) {
        for (const c of this.clients) {
          const room = this.rooms[this.#counter % this.rooms.length] as string
          c.send(room, `${o.prefix}-${c.name}-${this.#counter++}`)
        }
      }
      for (const c of this.clients) if (!c.isOpen && !this.#reconnecting.has(c)) this.#reconnectLater(c, 200)
    }, everyMs)
    this.#resendTimer = setInterval(() => { for (const c of this.clients) if (c.isOpen) c.resendPending() }, 2_000)
  }

  /** Stops new SENDs (answers and resends go on until `settle`). */
  stopSending (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  /**
   * Waits until every SEND was answered and every receipted message is stored and delivered (or the
   * timeout), then returns the checker's report. Sessions stay open meanwhile, reconnecting as needed.
   */
  async settle (databaseUrl: string, timeoutMs = 60_000): Promise<LedgerReport> {
    this.stopSending()
    let report = this.ledger.check(await readStoredMessages(databaseUrl, this.rooms))
    await waitFor(async () => {
      for (const c of this.clients) await c.settled()
      report = this.ledger.check(await readStoredMessages(databaseUrl, this.rooms))
      return report.unanswered === 0 && report.lost === 0
    }, { timeoutMs, intervalMs: 500, what: 'traffic settled' }).catch(() => {})
    return report
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.stopSending()
    if (this.#resendTimer !== undefined) clearInterval(this.#resendTimer)
    for (const c of this.clients) c.close()
  }

  #liveEdges (): ServiceProcess[] {
    return this.#edges().filter((e) => e.isRunning)
  }

  async #connect (c: LedgerClient, i: number): Promise<void> {
    const edges = this.#liveEdges()
    const edge = edges[i % Math.max(1, edges.length)]
    if (edge === undefined) throw new Error('no live edge')
    await c.connect(edge.wsUrl)
    const raw = c.client
    raw?.closed.then(() => {
      if (this.#stopped) return
      const shutdown = raw.frames.find((f) => f.command === 'ERROR' && f.headers.message === 'server-shutdown')
      this.#reconnectLater(c, shutdown === undefined ? 250 : Number(shutdown.headers['reconnect-after-ms'] ?? 250))
    }, () => {})
  }

  #reconnectLater (c: LedgerClient, delayMs: number): void {
    if (this.#stopped || this.#reconnecting.has(c)) return
    this.#reconnecting.add(c)
    setTimeout(() => {
      this.reconnects++
      this.#connect(c, Math.floor(Math.random() * 1000)).then(() => {
        this.#reconnecting.delete(c)
      }, () => {
        this.#reconnecting.delete(c)
        this.#reconnectLater(c, 500)
      })
    }, delayMs).unref()
  }

  async #page (u: TestUser, roomId: string, afterSeq: number, beforeSeq: number): Promise<number[]> {
    const seqs: number[] = []
    let cursor = afterSeq
    while (cursor < beforeSeq - 1) {
      const page = await this.#api.ok<{ messages: Array<{ seq: number }>, hasMore: boolean }>('GET', `/api/rooms/${roomId}/messages?after=${cursor}&limit=100`, undefined, u.accessToken)
      for (const m of page.messages) if (m.seq < beforeSeq) seqs.push(m.seq)
      if (!page.hasMore || page.messages.length === 0) break
      cursor = page.messages[page.messages.length - 1]?.seq ?? beforeSeq
    }
    return seqs
  }
}
