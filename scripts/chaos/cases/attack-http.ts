import { request } from 'node:http'

/** One HTTP answer, with the `code` of a `{statusCode, code, message}` body when it has one. */
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
 * A request with node:http (fetch would normalise the path and refuse some bodies). An answer that comes before
 * the body is fully written (a 413) is still read; a connection reset without any answer is status -1.
 */
export async function rawHttp (baseUrl: string, r: RawRequest, timeoutMs = 10_000): Promise<HttpAnswer> {
  const url = new URL(baseUrl)
  const body = r.raw !== undefined ? (typeof r.raw === 'string' ? Buffer.from(r.raw, 'utf8') : r.raw) : r.json !== undefined ? Buffer.from(JSON.stringify(r.json), 'utf8') : undefined
  const headers: Record<string, string> = {}
  if (r.token !== undefined) headers.authorization = `Bearer ${r.token}`
  if (body !== undefined || r.chunks !== undefined) headers['content-type'] = r.contentType ?? 'application/json'
  if (body !== undefined) headers['content-length'] = String(body.length)
  return await new Promise<HttpAnswer>((resolve) => {
    let settled = false
    const done = (a: HttpAnswer): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(a)
    }
    const req = request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8')
        let code = ''
        try {
          code = (JSON.parse(text) as { code?: unknown }).code as string ?? ''
        } catch {}
        done({ status: res.statusCode ?? 0, body: text, code: typeof code === 'string' ? code : '' })
      })
      res.on('error', (err) => done({ status: res.statusCode ?? -1, body: err.message, code: '' }))
    })
    const timer = setTimeout(() => { req.destroy(); done({ status: -1, body: `no answer within ${timeoutMs} ms`, code: '' }) }, timeoutMs)
    req.on('error', (err) => {
      // An early answer (413) may close the socket while we still write; give the response a moment to land.
      setTimeout(() => done({ status: -1, body: `connection error: ${err.message}`, code: '' }), 200)
    })
    if (r.chunks !== undefined) {
      for (const c of r.chunks) req.write(c)
      req.end()
    } else {
      req.end(body)
    }
  })
}

// Stack frames, file paths, SQL or driver internals: none may reach a client in an error body.
const LEAK = /\n\s+at |\bat [\w.$<>]+ \(|\.(?:ts|js|mjs|cjs):\d+|node_modules|\/work\/|\bSELECT\b|\bINSERT INTO\b|\bFROM "|syntax error|relation "|violates|PostgresError|\bpg_|ECONNREFUSED|\bioredis\b|\bstack\b|root:x:0/i

/** What in an error body looks like a stack trace, SQL or a file's contents (empty when clean). */
export function leakIn (body: string): string {
  return LEAK.exec(body)?.[0] ?? ''
}
