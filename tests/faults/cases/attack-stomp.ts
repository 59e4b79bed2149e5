import { randomBytes } from 'node:crypto'
import { connect as tcpConnect } from 'node:net'
import { bodyText, type Frame } from '@chat/protocol'
import { RawStompClient, type TestUser } from '@chat/testing'

/** What came back for one CONNECT attempt. */
export interface ConnectOutcome {
  readonly connected: boolean
  /** The ERROR frame's `message` header, if one came. */
  readonly error: string | undefined
  /** The WebSocket close code, if the server closed within the wait. */
  readonly closeCode: number | undefined
  /** The upgrade was refused (status), so no STOMP happened at all. */
  readonly upgradeStatus?: number
}

/** Refused as SPEC section 4 asks: an ERROR frame, then the socket closed, and never CONNECTED. */
export function isRefused (o: ConnectOutcome): boolean {
  return !o.connected && o.error !== undefined && o.closeCode !== undefined
}

export function describeOutcome (o: ConnectOutcome): string {
  if (o.upgradeStatus !== undefined) return `upgrade ${o.upgradeStatus}`
  return `${o.connected ? 'CONNECTED' : 'no CONNECTED'}, ERROR ${o.error ?? '-'}, close ${o.closeCode ?? '-'}`
}

/**
 * Opens a socket and sends CONNECT with `token` as `Authorization: Bearer` (or as `passcode`), then waits for the
 * server to answer and close. A session that does get CONNECTED is closed by us.
 */
export async function tryConnect (wsUrl: string, token: string, via: 'authorization' | 'passcode' = 'authorization', waitMs = 5_000): Promise<ConnectOutcome> {
  let c: RawStompClient
  try {
    c = await RawStompClient.open(wsUrl)
  } catch (err) {
    return { connected: false, error: undefined, closeCode: undefined, upgradeStatus: (err as { statusCode?: number }).statusCode ?? 0 }
  }
  const auth: Record<string, string> = via === 'authorization' ? { Authorization: `Bearer ${token}` } : { login: 'x', passcode: token }
  c.send({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: 'chat', 'heart-beat': '0,0', ...auth } })
  try {
    await c.next((f) => f.command === 'CONNECTED' || f.command === 'ERROR', waitMs)
  } catch {}
  const connected = c.frames.some((f) => f.command === 'CONNECTED')
  if (!connected) await c.waitClosed(waitMs).catch(() => undefined)
  const error = c.frames.find((f) => f.command === 'ERROR')?.headers.message
  const closeCode = c.closeCode
  c.close()
  return { connected, error, closeCode }
}

/** The `p`-quantile (0..1) of `values`, nearest rank; NaN when empty. */
export function quantile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number
}

export function ms (value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : String(value)
}

/**
 * A steady pair of ordinary clients on the edge under attack: `sender` SENDs `ratePerSecond` messages to the room
 * and `receiver` (subscribed) takes them; each message's send→receive time is kept with the time it arrived, so the
 * latency of any time window (a quiet phase, an attack phase) can be read afterwards.
 */
export class LatencyProbe {
  readonly sender: RawStompClient
  readonly receiver: RawStompClient
  readonly roomId: string
  /** [arrived at (performance.now()), latency ms] */
  readonly samples: Array<[number, number]> = []
  readonly errors: string[] = []
  sent = 0
  readonly #sentAt = new Map<string, number>()
  readonly #timer: NodeJS.Timeout
  #n = 0

  private constructor (sender: RawStompClient, receiver: RawStompClient, roomId: string, ratePerSecond: number) {
    this.sender = sender
    this.receiver = receiver
    this.roomId = roomId
    sender.maxFrames = 100
    receiver.maxFrames = 100
    const destination = `/topic/rooms.${roomId}`
    receiver.onFrame = (f) => {
      if (f.command !== 'MESSAGE' || f.headers.destination !== destination) return
      const at = performance.now()
      const id = (JSON.parse(bodyText(f)) as { clientMsgId?: string }).clientMsgId ?? ''
      const sentAt = this.#sentAt.get(id)
      if (sentAt === undefined) return
      this.#sentAt.delete(id)
      this.samples.push([at, at - sentAt])
    }
    sender.onFrame = (f) => {
      if (f.command === 'ERROR' || (f.command === 'MESSAGE' && f.headers.code !== undefined)) this.errors.push(f.headers.code ?? f.headers.message ?? f.command)
    }
    this.#timer = setInterval(() => this.#tick(), Math.round(1000 / ratePerSecond))
  }

  static async start (wsUrl: string, sender: TestUser, receiver: TestUser, roomId: string, ratePerSecond = 20): Promise<LatencyProbe> {
    const rx = await RawStompClient.connect(wsUrl, receiver.accessToken)
    rx.send({ command: 'SUBSCRIBE', headers: { id: 'probe', destination: `/topic/rooms.${roomId}`, receipt: 'probe-sub' } })
    await rx.next((f) => f.headers['receipt-id'] === 'probe-sub')
    const tx = await RawStompClient.connect(wsUrl, sender.accessToken)
    tx.send({ command: 'SUBSCRIBE', headers: { id: 'errors', destination: '/user/queue/errors', receipt: 'probe-err' } })
    await tx.next((f) => f.headers['receipt-id'] === 'probe-err')
    return new LatencyProbe(tx, rx, roomId, ratePerSecond)
  }

  get isOpen (): boolean {
    return this.sender.closeCode === undefined && this.receiver.closeCode === undefined
  }

  /** Messages sent and not (yet) received. */
  get outstanding (): number {
    return this.#sentAt.size
  }

  /** Latencies of the messages that arrived in [from, to) (performance.now() times). */
  between (from: number, to: number): number[] {
    return this.samples.filter(([at]) => at >= from && at < to).map(([, l]) => l)
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  close (): void {
    this.stop()
    this.sender.close()
    this.receiver.close()
  }

  #tick (): void {
    if (this.sender.closeCode !== undefined) return
    const id = `probe-${this.#n++}`
    this.#sentAt.set(id, performance.now())
    this.sent++
    this.sender.sendRaw(`SEND\ndestination:/app/rooms.${this.roomId}\ncontent-type:application/json\n\n${JSON.stringify({ content: id, clientMsgId: id })}\0`)
  }
}

/** A phase's p99 against the quiet one: within 2x, or quiet + 10 ms when the quiet figure is tiny. */
export function p99Bound (quietP99: number): number {
  return Math.max(2 * quietP99, quietP99 + 10)
}

/** The answer to a hand-written upgrade request. */
export interface UpgradeAnswer {
  readonly status: number
  readonly body: string
}

/**
 * Sends a WebSocket upgrade request byte for byte (so header values may hold raw UTF-8, repeat, or differ in case
 * the way a browser never writes them) and reads the status line and body. A 101 is closed at once.
 */
export async function rawUpgrade (port: number, extraHeaders: ReadonlyArray<string | Buffer>, path = '/ws', timeoutMs = 5_000): Promise<UpgradeAnswer> {
  const head = Buffer.concat([
    Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n`),
    ...extraHeaders.flatMap((h) => [typeof h === 'string' ? Buffer.from(h, 'latin1') : h, Buffer.from('\r\n')]),
    Buffer.from('\r\n'),
  ])
  return await new Promise<UpgradeAnswer>((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer to the upgrade within ${timeoutMs} ms`)) }, timeoutMs)
    const finish = (answer: UpgradeAnswer): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    const tryParse = (isEnd: boolean): void => {
      const end = received.indexOf('\r\n\r\n')
      if (end === -1) {
        if (isEnd) finish({ status: 0, body: received.toString('latin1') })
        return
      }
      const headText = received.subarray(0, end).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0)
      if (status === 101) {
        finish({ status, body: '' })
        return
      }
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? -1)
      const body = received.subarray(end + 4)
      if (length >= 0 && body.length >= length) finish({ status, body: body.subarray(0, length).toString('utf8') })
      else if (isEnd) finish({ status, body: body.toString('utf8') })
    }
    socket.on('connect', () => socket.write(head))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      tryParse(false)
    })
    socket.on('end', () => tryParse(true))
    socket.on('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

/** The ERROR frame of a client, if any. */
export function errorOf (c: RawStompClient): Frame | undefined {
  return c.frames.find((f) => f.command === 'ERROR')
}
