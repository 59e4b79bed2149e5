/**
 * The bench message: what a SEND carries and how a receiver reads it back.
 *
 * The SEND body is `{"content":"<C>","clientMsgId":"b<sender>.<seq>"}` for all three systems, where `<C>` is
 * the JSON `{"s":<sender>,"q":<seq>,"t":<send time µs>,"k":<step>,"p":"xxx…"}` padded to `payload` characters.
 * Inside the body `<C>` is a JSON string, so its quotes are escaped: every system delivers the bytes
 * `{\"s\":12,\"q\":5,\"t\":…,\"k\":0,` somewhere in the MESSAGE body (our edge inside its stored-message JSON,
 * Web-STOMP and the bare `ws` server as sent). Receivers find that marker with one native `indexOf` and read the
 * four integers from the bytes that follow; `verifyBody` re-reads a sample of them with `JSON.parse`.
 */

/** `{\"s\":` as bytes: the start of the escaped content JSON inside any delivered body. */
export const MARKER = Buffer.from('{\\"s\\":')

/** Fields read back from a delivered message. */
export interface BenchFields {
  sender: number
  seq: number
  sentUs: number
  step: number
}

/** Characters of the content before padding, for a given set of numbers (all ASCII). */
function contentHead (sender: number, seq: number, sentUs: number, step: number): string {
  return `{"s":${sender},"q":${seq},"t":${sentUs},"k":${step},"p":"`
}

const PAD = 'x'.repeat(8192)

/**
 * The content string (unescaped JSON), exactly `payloadChars` long when that is above the minimum
 * (~50 characters of numbers); shorter payloads get no padding.
 */
export function buildContent (sender: number, seq: number, sentUs: number, step: number, payloadChars: number): string {
  const head = contentHead(sender, seq, sentUs, step)
  const padLen = payloadChars - head.length - 2
  return padLen > 0 ? head + PAD.slice(0, padLen) + '"}' : head + '"}'
}

/** The SEND body with the content escaped as a JSON string (only `"` needs escaping: the content is ASCII without `\`). */
export function buildBody (sender: number, seq: number, sentUs: number, step: number, payloadChars: number): string {
  const content = buildContent(sender, seq, sentUs, step, payloadChars)
  return `{"content":"${content.replaceAll('"', '\\"')}","clientMsgId":"b${sender}.${seq}"}`
}

/** Reads a non-negative decimal integer at `pos`; returns the value and writes the end position to `end[0]`. */
export function readUint (buf: Buffer, pos: number, end: Int32Array): number {
  let v = 0
  let i = pos
  for (; i < buf.length; i++) {
    const c = buf[i] as number
    if (c < 48 || c > 57) break
    v = v * 10 + (c - 48)
  }
  end[0] = i
  return v
}

const endScratch = new Int32Array(1)
// After each number: `,\"q\":` / `,\"t\":` / `,\"k\":` are 7 bytes each.
const SEP = 7

/**
 * Finds the bench fields in `buf` between `from` and `to` (a MESSAGE body). Returns false when the marker is
 * missing or the bytes after it are not what the generator writes.
 */
export function readFields (buf: Buffer, from: number, to: number, out: BenchFields): boolean {
  const m = buf.indexOf(MARKER, from)
  if (m < 0 || m >= to) return false
  let p = m + MARKER.length
  out.sender = readUint(buf, p, endScratch)
  p = endScratch[0] as number
  if (buf[p] !== 44 || buf[p + 3] !== 113) return false // `,\"q`
  out.seq = readUint(buf, p + SEP, endScratch)
  p = endScratch[0] as number
  if (buf[p] !== 44 || buf[p + 3] !== 116) return false // `,\"t`
  out.sentUs = readUint(buf, p + SEP, endScratch)
  p = endScratch[0] as number
  if (buf[p] !== 44 || buf[p + 3] !== 107) return false // `,\"k`
  out.step = readUint(buf, p + SEP, endScratch)
  return true
}

/**
 * The slow, sure reading of a delivered body: `JSON.parse` of the body (and, for our system, of the stored
 * message's `content`), compared with what `readFields` found. Returns a reason when they differ.
 */
export function verifyBody (body: string, fields: BenchFields, system: 'ours' | 'webstomp' | 'ws', roomSeq: number): string | undefined {
  let outer: { content?: unknown, seq?: unknown }
  try {
    outer = JSON.parse(body) as typeof outer
  } catch {
    return 'body is not JSON'
  }
  if (typeof outer.content !== 'string') return 'no content string'
  let inner: { s?: unknown, q?: unknown, t?: unknown, k?: unknown }
  try {
    inner = JSON.parse(outer.content) as typeof inner
  } catch {
    return 'content is not JSON'
  }
  if (inner.s !== fields.sender || inner.q !== fields.seq || inner.t !== fields.sentUs || inner.k !== fields.step) {
    return `fields differ: parsed ${JSON.stringify(inner).slice(0, 80)} vs lean ${JSON.stringify(fields)}`
  }
  if (system === 'ours' && outer.seq !== roomSeq) return `seq header ${roomSeq} differs from body seq ${String(outer.seq)}`
  return undefined
}
