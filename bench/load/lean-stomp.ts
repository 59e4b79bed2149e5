/**
 * Lean STOMP framing for the load generator: frames are built by string concatenation and incoming frames are
 * split and read with native `Buffer#indexOf`, without building header objects. It relies on what both servers
 * under test do (docs/protocol.md for ours; RabbitMQ Web-STOMP alike): header lines end with LF only, header names
 * are lower case, and MESSAGE bodies carry no NUL (so a frame without `content-length` ends at the first NUL).
 * Frames split over WebSocket messages and several frames in one message are both handled.
 */

const LFLF = Buffer.from('\n\n')
const CONTENT_LENGTH = Buffer.from('\ncontent-length:')

export const Command = {
  MESSAGE: 1,
  RECEIPT: 2,
  ERROR: 3,
  CONNECTED: 4,
  OTHER: 5,
} as const
export type Command = (typeof Command)[keyof typeof Command]

/** Called once per complete frame: `buf[start, headerEnd)` is the command and header lines, `buf[bodyStart, bodyEnd)` the body. */
export type FrameHandler = (command: Command, buf: Buffer, start: number, headerEnd: number, bodyStart: number, bodyEnd: number) => void

function commandAt (buf: Buffer, i: number): Command {
  switch (buf[i]) {
    case 77: return Command.MESSAGE // M
    case 82: return Command.RECEIPT // R
    case 69: return Command.ERROR // E
    case 67: return Command.CONNECTED // C
    default: return Command.OTHER
  }
}

/** Splits a stream of WebSocket messages into frames; counts heart-beats (bare EOLs). */
export class LeanFrameSplitter {
  heartbeats = 0
  #rest: Buffer | undefined
  readonly #onFrame: FrameHandler

  constructor (onFrame: FrameHandler) {
    this.#onFrame = onFrame
  }

  push (data: Buffer): void {
    let buf = data
    if (this.#rest !== undefined) {
      buf = Buffer.concat([this.#rest, data])
      this.#rest = undefined
    }
    let off = 0
    const n = buf.length
    while (off < n) {
      const c = buf[off]
      if (c === 10 || c === 13) {
        // A heart-beat, or the EOL some servers put after a frame's NUL.
        if (c === 10) this.heartbeats++
        off++
        continue
      }
      const headerEnd = buf.indexOf(LFLF, off)
      if (headerEnd < 0) break
      const bodyStart = headerEnd + 2
      let bodyEnd: number
      const cl = buf.indexOf(CONTENT_LENGTH, off)
      if (cl >= 0 && cl < headerEnd) {
        let len = 0
        for (let i = cl + CONTENT_LENGTH.length; i < headerEnd; i++) {
          const d = buf[i] as number
          if (d < 48 || d > 57) break
          len = len * 10 + (d - 48)
        }
        bodyEnd = bodyStart + len
        if (bodyEnd >= n) break
      } else {
        bodyEnd = buf.indexOf(0, bodyStart)
        if (bodyEnd < 0) break
      }
      this.#onFrame(commandAt(buf, off), buf, off, headerEnd, bodyStart, bodyEnd)
      off = bodyEnd + 1
    }
    if (off < n) this.#rest = Buffer.from(buf.subarray(off))
  }
}

/** The value of header `name` (as `\nname:`, bytes) within the header block, or undefined. */
export function headerValue (buf: Buffer, start: number, headerEnd: number, name: Buffer): string | undefined {
  const i = buf.indexOf(name, start)
  if (i < 0 || i >= headerEnd) return undefined
  const from = i + name.length
  let to = buf.indexOf(10, from)
  if (to < 0 || to > headerEnd) to = headerEnd
  return buf.toString('latin1', from, to)
}

/** A header's integer value, or -1 when absent or not a number. */
export function headerInt (buf: Buffer, start: number, headerEnd: number, name: Buffer): number {
  const i = buf.indexOf(name, start)
  if (i < 0 || i >= headerEnd) return -1
  let v = 0
  let j = i + name.length
  const first = j
  for (; j < headerEnd; j++) {
    const d = buf[j] as number
    if (d < 48 || d > 57) break
    v = v * 10 + (d - 48)
  }
  return j === first ? -1 : v
}

/** A header name as searched for: `\nname:` (never the first line, which is the command). */
export function headerKey (name: string): Buffer {
  return Buffer.from(`\n${name}:`)
}

export interface ConnectOptions {
  /** `host` header: ours ignores it; Web-STOMP takes the vhost from it. */
  readonly host: string
  /** Client heart-beat offer `cx,cy` in ms. */
  readonly heartbeat: readonly [number, number]
  readonly bearer?: string
  readonly login?: string
  readonly passcode?: string
}

export function connectFrame (o: ConnectOptions): string {
  let f = `CONNECT\naccept-version:1.2\nhost:${o.host}\nheart-beat:${o.heartbeat[0]},${o.heartbeat[1]}\n`
  if (o.bearer !== undefined) f += `Authorization:Bearer ${o.bearer}\n`
  if (o.login !== undefined) f += `login:${o.login}\npasscode:${o.passcode ?? ''}\n`
  return f + '\n\0'
}

export function subscribeFrame (id: string, destination: string, receipt: string, extraHeaders: Readonly<Record<string, string>> = {}): string {
  let f = `SUBSCRIBE\nid:${id}\ndestination:${destination}\nack:auto\nreceipt:${receipt}\n`
  for (const [k, v] of Object.entries(extraHeaders)) f += `${k}:${v}\n`
  return f + '\n\0'
}

/**
 * The constant part of a sender's SEND frames; `sendFrame` appends the receipt, length and body.
 * Pre-serialized once per sender.
 */
export function sendPrefix (destination: string, extraHeaders: Readonly<Record<string, string>> = {}): string {
  let f = `SEND\ndestination:${destination}\ncontent-type:application/json\n`
  for (const [k, v] of Object.entries(extraHeaders)) f += `${k}:${v}\n`
  return f
}

/** One SEND frame (body ASCII, so its length in characters is its length in bytes). */
export function sendFrame (prefix: string, receipt: number | undefined, body: string): string {
  return receipt === undefined
    ? `${prefix}content-length:${body.length}\n\n${body}\0`
    : `${prefix}receipt:${receipt}\ncontent-length:${body.length}\n\n${body}\0`
}
