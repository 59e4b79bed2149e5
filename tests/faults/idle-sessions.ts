import { RawStompClient, type ServiceProcess, type TestUser } from '@chat/testing'

export interface SessionRecord {
  client: RawStompClient | undefined
  readonly user: TestUser
  /** When the server said `server-shutdown`, and the delay it asked for. */
  shutdownAt?: number
  reconnectAfterMs?: number
  /** When the session was open again, and on which edge. */
  reconnectedAt?: number
  edgePort?: number
  refusals: number
}

/**
 * Many mostly idle sessions (a reconnect storm's clients). Each follows the server: after ERROR
 * `server-shutdown` it waits `reconnect-after-ms`, then connects to a live edge chosen at random; a 503
 * at the upgrade is retried after its Retry-After (plus jitter) on another random edge.
 */
export class IdleSessions {
  readonly records: SessionRecord[] = []
  readonly #edges: () => ServiceProcess[]
  readonly #room: string
  #stopped = false

  constructor (edges: () => ServiceProcess[], room: string) {
    this.#edges = edges
    this.#room = room
  }

  /** Opens `count` sessions spread over `users`, on `edge` (or at random), `parallel` at a time. */
  async open (users: readonly TestUser[], count: number, edge?: ServiceProcess, parallel = 50): Promise<void> {
    const todo = Array.from({ length: count }, (_, i) => users[i % users.length] as TestUser)
    for (let i = 0; i < todo.length; i += parallel) {
      await Promise.all(todo.slice(i, i + parallel).map(async (user) => {
        const record: SessionRecord = { client: undefined, user, refusals: 0 }
        this.records.push(record)
        await this.#connect(record, edge)
      }))
    }
  }

  /** Sessions open now, per edge port. */
  openByEdge (): Map<number, number> {
    const m = new Map<number, number>()
    for (const r of this.records) {
      if (r.client !== undefined && r.client.closeCode === undefined && r.edgePort !== undefined) m.set(r.edgePort, (m.get(r.edgePort) ?? 0) + 1)
    }
    return m
  }

  get openCount (): number {
    return this.records.filter((r) => r.client !== undefined && r.client.closeCode === undefined).length
  }

  stop (): void {
    this.#stopped = true
    for (const r of this.records) r.client?.close()
  }

  async #connect (record: SessionRecord, edge?: ServiceProcess): Promise<void> {
    const live = this.#edges().filter((e) => e.isRunning)
    const target = edge ?? live[Math.floor(Math.random() * live.length)]
    if (target === undefined) throw new Error('no live edge')
    let client: RawStompClient
    try {
      client = await RawStompClient.connect(target.wsUrl, record.user.accessToken)
    } catch (err) {
      const e = err as { statusCode?: number, headers?: Record<string, string> }
      if (this.#stopped) return
      record.refusals++
      const retryAfterMs = Number(e.headers?.['retry-after'] ?? '1') * 1000
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs * (0.5 + Math.random())))
      await this.#connect(record)
      return
    }
    client.maxFrames = 20
    record.client = client
    record.edgePort = target.port
    if (record.shutdownAt !== undefined && record.reconnectedAt === undefined) record.reconnectedAt = Date.now()
    client.send({ command: 'SUBSCRIBE', headers: { id: 'r', destination: `/topic/rooms.${this.#room}` } })
    client.onFrame = (f) => {
      if (f.command === 'ERROR' && f.headers.message === 'server-shutdown') {
        record.shutdownAt = Date.now()
        record.reconnectAfterMs = Number(f.headers['reconnect-after-ms'] ?? 0)
        record.reconnectedAt = undefined
      }
    }
    void client.closed.then(() => {
      if (this.#stopped) return
      const wait = record.reconnectAfterMs ?? 250
      setTimeout(() => { this.#connect(record).catch(() => {}) }, wait).unref()
    })
  }
}
