import { connect as tcpConnect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** One HTTP answer, with the `code` of a `{statusCode, code, message}` body when it has one. */
/** The history service's body limit (fastify `bodyLimit`). */
const BODY_LIMIT_BYTES = 64 * 1024

export interface HttpAnswer {
  readonly status: number
  readonly body: string
  readonly code: string
}

export interface RawRequest {
  readonly method: string
  /** Sent exactly as given: no normalisation of `..`, no re-encoding. */
  readonly path: string
  readonly token?: string
  /** A JSON value (serialised), or a string/Buffer sent as is. */
  readonly json?: unknown
  readonly raw?: string | Buffer
  /** Sent chunked, without a content-length. */
  readonly chunks?: readonly Buffer[]
  readonly contentType?: string
}

/**
 * A request written byte for byte on a TCP socket (fetch and node:http normalise paths and refuse some bodies).
 * Bodies go in 16 KiB pieces with a short pause after each, and stop as soon as an answer has come: a server that
 * refuses on the declared length (413) answers after the head and closes the connection (fastify does, on any body
 * error), and a write racing that close fails with EPIPE, after which Node drops the socket with the answer unread.
 * A connection closed without any answer is status -1.
 */
export async function rawHttp (baseUrl: string, r: RawRequest, timeoutMs = 10_000): Promise<HttpAnswer> {
  const url = new URL(baseUrl)
  const body = r.raw !== undefined ? (typeof r.raw === 'string' ? Buffer.from(r.raw, 'utf8') : r.raw) : r.json !== undefined ? Buffer.from(JSON.stringify(r.json), 'utf8') : undefined
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `host: ${url.host}`, 'connection: close']
  if (r.token !== undefined) lines.push(`authorization: Bearer ${r.token}`)
  if (body !== undefined || r.chunks !== undefined) lines.push(`content-type: ${r.contentType ?? 'application/json'}`)
  if (body !== undefined) lines.push(`content-length: ${body.length}`)
  if (r.chunks !== undefined) lines.push('transfer-encoding: chunked')
  const pieces = r.chunks !== undefined
    ? [...r.chunks.map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')])), Buffer.from('0\r\n\r\n')]
    : body === undefined ? [] : split(body, 16 * 1024)
  return await new Promise<HttpAnswer>((resolve) => {
    const socket = tcpConnect(Number(url.port), url.hostname)
    const received: Buffer[] = []
    let settled = false
    const done = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(parseAnswer(Buffer.concat(received)))
    }
    const timer = setTimeout(done, timeoutMs)
    const hasAnswer = (): boolean => received.length > 0
    const waitAnswer = async (maxMs: number): Promise<void> => {
      const until = performance.now() + maxMs
      while (!hasAnswer() && !socket.destroyed && performance.now() < until) await sleep(Math.min(2, maxMs))
    }
    socket.on('data', (d: Buffer) => {
      received.push(d)
      if (isComplete(Buffer.concat(received))) done()
    })
    socket.on('end', done)
    socket.on('close', done)
    socket.on('error', () => setTimeout(done, 100))
    socket.on('connect', () => {
      const write = async (): Promise<void> => {
        await new Promise<void>((resolve) => socket.write(`${lines.join('\r\n')}\r\n\r\n`, () => resolve()))
        let written = 0
        for (const p of pieces) {
          if (hasAnswer() || settled || socket.destroyed) return
          await new Promise<void>((resolve) => socket.write(p, () => resolve()))
          written += p.length
          // A declared length over the limit is answered after the head: give that answer time to come first.
          const isOver = (body?.length ?? 0) > BODY_LIMIT_BYTES && written === p.length
          if (pieces.length > 1) await waitAnswer(isOver ? 1_000 : written > BODY_LIMIT_BYTES ? 20 : 2)
        }
      }
      write().catch(() => {})
    })
  })
}

function split (data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size))
  return out
}

/** Whether `raw` holds a whole response (head and, by content-length or chunked framing, the body). */
function isComplete (raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n')
  if (end === -1) return false
  const head = raw.subarray(0, end).toString('latin1')
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  if (length !== null) return raw.length - end - 4 >= Number(length[1])
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return raw.subarray(end + 4).includes('\r\n0\r\n\r\n') || raw.subarray(end + 4).indexOf('0\r\n\r\n') === 0
  return false
}

function parseAnswer (raw: Buffer): HttpAnswer {
  const end = raw.indexOf('\r\n\r\n')
  if (end === -1) return { status: -1, body: raw.length === 0 ? 'connection closed without an answer' : raw.toString('latin1').slice(0, 200), code: '' }
  const head = raw.subarray(0, end).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? -1)
  let bodyBytes = raw.subarray(end + 4)
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const parts: Buffer[] = []
    let p = 0
    for (;;) {
      const lineEnd = bodyBytes.indexOf('\r\n', p)
      if (lineEnd === -1) break
      const size = Number.parseInt(bodyBytes.subarray(p, lineEnd).toString('latin1'), 16)
      if (!(size > 0)) break
      parts.push(bodyBytes.subarray(lineEnd + 2, lineEnd + 2 + size))
      p = lineEnd + 2 + size + 2
    }
    bodyBytes = Buffer.concat(parts)
  }
  const text = bodyBytes.toString('utf8')
  let code: unknown = ''
  try {
    code = (JSON.parse(text) as { code?: unknown }).code ?? ''
  } catch {}
  return { status, body: text, code: typeof code === 'string' ? code : '' }
}

// Stack frames, file paths, SQL or driver internals: none may reach a client in an error body.
const LEAK = /\n\s+at |\bat [\w.$<>]+ \(|\.(?:ts|js|mjs|cjs):\d+|node_modules|\/work\/|\bSELECT\b|\bINSERT INTO\b|\bFROM "|syntax error|relation "|violates|PostgresError|\bpg_|ECONNREFUSED|\bioredis\b|\bstack\b|root:x:0/i

/** What in an error body looks like a stack trace, SQL or a file's contents (empty when clean). */
export function leakIn (body: string): string {
  return LEAK.exec(body)?.[0] ?? ''
}
