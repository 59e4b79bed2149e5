import WebSocket from 'ws'
import { StompParser, bodyText, serializeFrame, type Frame, type OutgoingFrame } from '@chat/protocol'

export interface RawStompClientOptions {
  /** WebSocket subprotocols offered. @default ['v12.stomp'] */
  readonly protocols?: readonly string[]
  readonly headers?: Readonly<Record<string, string>>
  /** Time to wait for the upgrade. @default 5_000 */
  readonly openTimeoutMs?: number
}

/** Everything that arrives: frames in order, heart-beats counted, the close code when it closes. */
export class RawStompClient {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  heartbeats = 0
  closeCode: number | undefined
  /** Called for every frame as it arrives, after it is recorded in `frames`. */
  onFrame: ((frame: Frame) => void) | undefined
  /** Keep at most this many frames in `frames` (oldest dropped); unbounded by default. */
  maxFrames = Number.POSITIVE_INFINITY
  readonly #parser = new StompParser({ limits: { maxFrameBytes: 16 * 1024 * 1024, maxBufferedBytes: 32 * 1024 * 1024 } })
  readonly #waiters = new Set<() => void>()
  readonly closed: Promise<number>

  private constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data: Buffer) => {
      for (const e of this.#parser.push(data)) {
        if (e.type === 'frame') {
          this.frames.push(e.frame)
          if (this.frames.length > this.maxFrames) this.frames.splice(0, this.frames.length - this.maxFrames)
          this.onFrame?.(e.frame)
        } else if (e.type === 'heartbeat') {
          this.heartbeats++
        }
      }
      this.#wake()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code
        this.#wake()
        resolve(code)
      })
    })
    ws.on('error', () => {})
  }

  /** Opens a WebSocket to `url` (ws://host:port/ws). Rejects when the upgrade is refused. */
  static async open (url: string, options: RawStompClientOptions = {}): Promise<RawStompClient> {
    const ws = new WebSocket(url, [...(options.protocols ?? ['v12.stomp'])], { headers: { ...options.headers }, handshakeTimeout: options.openTimeoutMs ?? 5_000 })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode ?? 0}`), { statusCode: res.statusCode, headers: res.headers })))
      ws.once('error', reject)
    })
    return new RawStompClient(ws)
  }

  /** Opens and sends CONNECT with the token; resolves with the CONNECTED frame (rejects on ERROR). */
  static async connect (url: string, token: string, headers: Record<string, string> = {}, options: RawStompClientOptions = {}): Promise<RawStompClient> {
    const client = await RawStompClient.open(url, options)
    client.send({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: 'chat', 'heart-beat': '0,0', Authorization: `Bearer ${token}`, ...headers } })
    const f = await client.next((fr) => fr.command === 'CONNECTED' || fr.command === 'ERROR')
    if (f.command === 'ERROR') throw Object.assign(new Error(`CONNECT refused: ${f.headers.message ?? ''}`), { frame: f })
    return client
  }

  send (frame: OutgoingFrame): void {
    this.ws.send(serializeFrame(frame))
  }

  sendRaw (data: string | Buffer): void {
    this.ws.send(data)
  }

  /** The first frame (from the start, or after `from`) that matches; waits up to `timeoutMs`. */
  async next (match: (f: Frame) => boolean, timeoutMs = 5_000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      for (let i = from; i < this.frames.length; i++) {
        const f = this.frames[i] as Frame
        if (match(f)) return f
      }
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) before the frame arrived`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.command).join(',')}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { this.#waiters.delete(resolve); resolve() }, left)
        this.#waiters.add(() => { clearTimeout(t); resolve() })
      })
    }
  }

  /** MESSAGE frames of one destination, in arrival order. */
  messages (destination?: string): Frame[] {
    return this.frames.filter((f) => f.command === 'MESSAGE' && (destination === undefined || f.headers.destination === destination))
  }

  /** Waits until `count` MESSAGE frames of `destination` arrived. */
  async waitForMessages (destination: string, count: number, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs
    while (this.messages(destination).length < count) {
      if (Date.now() > deadline) throw new Error(`got ${this.messages(destination).length} of ${count} messages on ${destination}`)
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) with ${this.messages(destination).length} of ${count} messages`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { this.#waiters.delete(resolve); resolve() }, 50)
        this.#waiters.add(() => { clearTimeout(t); resolve() })
      })
    }
    return this.messages(destination)
  }

  async waitClosed (timeoutMs = 5_000): Promise<number> {
    return await Promise.race([this.closed, new Promise<number>((_resolve, reject) => setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs).unref())])
  }

  close (): void {
    this.ws.terminate()
  }

  #wake (): void {
    const w = [...this.#waiters]
    this.#waiters.clear()
    for (const f of w) f()
  }
}

/** The JSON body of a frame. */
export function frameJson<T = Record<string, unknown>> (f: Frame): T {
  return JSON.parse(bodyText(f)) as T
}
