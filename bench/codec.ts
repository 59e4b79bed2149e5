/**
 * STOMP codec benchmark: @chat/protocol against @stomp/stompjs, parse and serialize, same process, same bytes.
 *
 *   npx turbo run build --filter=@chat/protocol && node --import tsx bench/codec.ts
 *
 * Cases: (a) a typical 300-byte MESSAGE frame (what the edge fans out), (b) a 4 KiB SEND frame (a large chat
 * message coming in). Each measurement runs for BENCH_SECONDS (default 2) per round, BENCH_ROUNDS rounds
 * (default 3), ours and theirs interleaved, after a warm-up; the median round is reported. The last line of
 * output is one JSON object with every figure (docs/performance.md, "Codec").
 *
 * Parse: both parsers are fed the same bytes, one frame per WebSocket message (a Uint8Array), on one long-lived
 * parser instance as on a connection. stompjs's Parser only splits the frame (headers are left as raw pairs and
 * not unescaped); ours also unescapes and builds the header object, so it does strictly more.
 * Serialize: ours `serializeFrame` returns the bytes to write; stompjs's `FrameImpl#serialize()` returns a
 * string for a text body (the WebSocket then encodes it), measured as is, which favours stompjs.
 */
import { FrameImpl, Parser } from '@stomp/stompjs'
import { MessageFrameTemplate, StompParser, serializeFrame } from '@chat/protocol'
import type { OutgoingFrame } from '@chat/protocol'

const seconds = Number(process.env.BENCH_SECONDS ?? 2)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const warmupSeconds = Math.min(0.5, seconds)

const roomId = '6f1c1b7e-3c3a-4d55-9a43-0b8e4b6a2f10'
const messageBody = JSON.stringify({
  id: '0d6c5b2a-7a0e-4f63-9e1c-4b2b8f0f5a31',
  seq: 12345,
  content: 'See you at the standup in five!',
  type: 'text',
})
const messageHeaders = {
  destination: `/topic/rooms.${roomId}`,
  subscription: 'sub-0',
  'message-id': '0d6c5b2a-7a0e-4f63-9e1c-4b2b8f0f5a31',
  seq: '12345',
  'content-type': 'application/json',
}
// Exactly 4096 bytes, and a flat string as JSON.stringify returns (a sliced string takes slower paths in V8).
const sendBody = JSON.stringify({ content: 'x'.repeat(4096 - 39), clientMsgId: 'c-000001' })
if (Buffer.byteLength(sendBody) !== 4096) throw new Error('the SEND body must be 4096 bytes')
const sendHeaders = {
  destination: `/app/rooms.${roomId}`,
  'content-type': 'application/json',
  receipt: 'r-17',
}

interface Case { name: string, frame: OutgoingFrame & { headers: Record<string, string>, body: string } }
const cases: Case[] = [
  { name: 'MESSAGE 300 B', frame: { command: 'MESSAGE', headers: messageHeaders, body: messageBody } },
  { name: 'SEND 4 KiB', frame: { command: 'SEND', headers: sendHeaders, body: sendBody } },
]

let sink = 0

/** Runs `op` in batches for `durationS` seconds; returns operations per second. */
function measure (op: () => void, durationS: number): number {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(durationS * 1e9))
  const start = process.hrtime.bigint()
  let ops = 0
  let now = start
  const batch = 256
  do {
    for (let i = 0; i < batch; i++) op()
    ops += batch
    now = process.hrtime.bigint()
  } while (now < deadline)
  return ops / (Number(now - start) / 1e9)
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

interface Row { case: string, op: string, bytes: number, ours: number, theirs: number }

/** Interleaves ours and theirs over the rounds; returns the median rates. */
function compare (ours: () => void, theirs: () => void): { ours: number, theirs: number } {
  measure(ours, warmupSeconds)
  measure(theirs, warmupSeconds)
  const a: number[] = []
  const b: number[] = []
  for (let r = 0; r < rounds; r++) {
    a.push(measure(ours, seconds))
    b.push(measure(theirs, seconds))
  }
  return { ours: median(a), theirs: median(b) }
}

const rows: Row[] = []
const extra: Record<string, number> = {}
for (const c of cases) {
  const bytes = new Uint8Array(serializeFrame(c.frame))

  // Parse. Check first that both read the frame the same way.
  const ourParser = new StompParser()
  const check = ourParser.push(bytes)
  if (check.length !== 1 || check[0]?.type !== 'frame' || check[0].frame.body.length !== Buffer.byteLength(c.frame.body)) {
    throw new Error(`our parser misread ${c.name}`)
  }
  let theirFrames = 0
  const theirParser = new Parser((raw) => { theirFrames++; sink += raw.binaryBody?.length ?? 0 }, () => {})
  theirParser.parseChunk(bytes as unknown as ArrayBuffer)
  if (theirFrames !== 1) throw new Error(`stompjs misread ${c.name}`)
  const parse = compare(
    () => { sink += ourParser.push(bytes).length },
    () => { theirParser.parseChunk(bytes as unknown as ArrayBuffer) })
  rows.push({ case: c.name, op: 'parse', bytes: bytes.length, ...parse })

  // Serialize: a fresh frame each time, as a server does.
  const serialize = compare(
    () => { sink += serializeFrame(c.frame).length },
    () => {
      const out = new FrameImpl({ command: c.frame.command, headers: c.frame.headers, body: c.frame.body, escapeHeaderValues: true }).serialize()
      sink += typeof out === 'string' ? out.length : out.byteLength
    })
  rows.push({ case: c.name, op: 'serialize', bytes: bytes.length, ...serialize })

  if (c.frame.command === 'MESSAGE') {
    // The edge's fan-out path: one template per message, one Buffer per subscriber (most share 'sub-0').
    const { subscription: _, ...shared } = c.frame.headers
    extra['MESSAGE 300 B template per message + 100 subscribers (frames/s)'] = median(Array.from({ length: rounds }, () =>
      measure(() => {
        const template = new MessageFrameTemplate(shared, c.frame.body)
        for (let i = 0; i < 100; i++) sink += template.forSubscription('sub-0').length
      }, seconds) * 100))
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const mb = (rate: number, bytes: number): string => (rate * bytes / 1e6).toFixed(1)
console.log(`node ${process.version}, ${rounds} rounds x ${seconds} s, median`)
console.log('| case | op | frame bytes | ours frames/s | ours MB/s | stompjs frames/s | stompjs MB/s | ours/stompjs |')
console.log('|---|---|---:|---:|---:|---:|---:|---:|')
for (const r of rows) {
  console.log(`| ${r.case} | ${r.op} | ${r.bytes} | ${fmt(r.ours)} | ${mb(r.ours, r.bytes)} | ${fmt(r.theirs)} | ${mb(r.theirs, r.bytes)} | ${(r.ours / r.theirs).toFixed(2)}x |`)
}
for (const [k, v] of Object.entries(extra)) console.log(`${k}: ${fmt(v)}`)
const summary = {
  node: process.version,
  rounds,
  seconds,
  results: rows.map((r) => ({
    case: r.case,
    op: r.op,
    frameBytes: r.bytes,
    oursFramesPerS: Math.round(r.ours),
    oursMBPerS: Number(mb(r.ours, r.bytes)),
    stompjsFramesPerS: Math.round(r.theirs),
    stompjsMBPerS: Number(mb(r.theirs, r.bytes)),
    ratio: Number((r.ours / r.theirs).toFixed(2)),
  })),
  extra,
  targetMet: rows.every((r) => r.ours / r.theirs >= 2),
  sink: sink > 0,
}
console.log(JSON.stringify(summary))
