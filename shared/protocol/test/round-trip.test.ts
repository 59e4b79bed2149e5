// Property-based round trips: random frames serialized, joined with random heart-beats, cut at random points into
// text and binary messages, parsed back: the same frames come out, for every version where the values are
// representable. Seeds are fixed by fast-check's defaults per run; a failure prints the seed and shrunk case.
import assert from 'node:assert/strict'
import { Buffer, isUtf8 } from 'node:buffer'
import { test } from 'node:test'
import fc from 'fast-check'
import { StompParser, serializeFrame } from '../src/index.js'
import type { Command, StompVersion } from '../src/index.js'
import { concat, plain, splitAt } from './helpers.js'

const COMMANDS: Command[] = ['CONNECT', 'STOMP', 'CONNECTED', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK',
  'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT', 'MESSAGE', 'RECEIPT', 'ERROR']

// Header text mixing what escaping must handle with UTF-8 of every width and arbitrary code points.
const piece = fc.oneof(
  fc.constantFrom(':', '\\', '\n', '\r', '\0', '\\c', '\\n', 'é', '日', '😀', ' ', 'content-length'),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ maxLength: 10 }),
)
const headerText = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''))

interface GeneratedFrame {
  command: Command
  headers: Array<[string, string]>
  asObject: boolean
  body: string | Uint8Array | undefined
  /** Write the body NUL-terminated without content-length (bodies without NUL only). */
  withoutLength: boolean
}

const generatedFrame = fc.record({
  command: fc.constantFrom(...COMMANDS),
  headers: fc.array(fc.tuple(headerText, headerText), { maxLength: 6 }),
  asObject: fc.boolean(),
  body: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 })),
  withoutLength: fc.boolean(),
})

/** Whether a header survives the version's encoding unchanged (escape.ts lists what does not). */
function representable (name: string, value: string, command: Command, version: StompVersion): boolean {
  if (name.length === 0 || name === 'content-length') return false
  if (version === '1.0' || command === 'CONNECT' || command === 'CONNECTED') {
    return !/[:\r\n]/.test(name) && !/[\r\n]/.test(value)
  }
  if (version === '1.1') return !name.includes('\r') && !value.includes('\r')
  return true
}

function bodyBytes (body: string | Uint8Array | undefined): Uint8Array {
  return body === undefined ? new Uint8Array(0) : typeof body === 'string' ? new Uint8Array(Buffer.from(body)) : body
}

/** The wire bytes of `frame` and the frame a reader must see. */
function encode (frame: GeneratedFrame, version: StompVersion): {
  bytes: Uint8Array, command: Command, headers: Record<string, string>, body: Uint8Array
} {
  const headers = frame.headers.filter(([n, v]) => representable(n, v, frame.command, version))
  const body = bodyBytes(frame.body)
  const firstValues = new Map<string, string>()
  for (const [name, value] of headers) if (!firstValues.has(name)) firstValues.set(name, value)
  const given = frame.asObject ? Object.fromEntries([...headers].reverse()) : headers
  const withoutLength = frame.withoutLength && !body.includes(0)
  let bytes: Uint8Array
  if (withoutLength) {
    const head = serializeFrame({ command: frame.command, headers: given }, version)
    bytes = concat(head.subarray(0, head.length - 1), body, new Uint8Array([0]))
  } else {
    bytes = serializeFrame({ command: frame.command, headers: given, body: frame.body }, version)
    if (body.length > 0) firstValues.set('content-length', String(body.length))
  }
  // fromEntries, not assignment: a generated name may be __proto__.
  return { bytes, command: frame.command, headers: Object.fromEntries(firstValues), body }
}

const heartbeats = fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 3 })

const scenario = fc.record({
  frames: fc.array(fc.tuple(heartbeats, generatedFrame), { minLength: 1, maxLength: 5 }),
  trailing: heartbeats,
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  textMessages: fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }),
})

function check (version: StompVersion): void {
  fc.assert(fc.property(scenario, ({ frames, trailing, cuts, textMessages }) => {
    const parts: Uint8Array[] = []
    const expected: Array<'heartbeat' | ReturnType<typeof encode>> = []
    for (const [beats, frame] of frames) {
      for (const beat of beats) {
        parts.push(Buffer.from(beat))
        expected.push('heartbeat')
      }
      const encoded = encode(frame, version)
      parts.push(encoded.bytes)
      expected.push(encoded)
    }
    for (const beat of trailing) {
      parts.push(Buffer.from(beat))
      expected.push('heartbeat')
    }
    const stream = concat(...parts)
    const chunks = splitAt(stream, cuts.map((c) => c % (stream.length + 1)))
    const parser = new StompParser({ version, limits: { maxFrameBytes: 1 << 20 } })
    const events = chunks.flatMap((chunk, i) => {
      // A text message must be valid UTF-8, so only those pieces may go as text.
      const asText = (textMessages[i % textMessages.length] ?? false) && isUtf8(chunk)
      return parser.push(asText ? Buffer.from(chunk).toString('utf8') : chunk)
    })
    assert.equal(events.length, expected.length)
    events.forEach((event, i) => {
      const want = expected[i]
      if (want === 'heartbeat') {
        assert.equal(event.type, 'heartbeat')
        return
      }
      assert.equal(event.type, 'frame', JSON.stringify(event))
      if (event.type !== 'frame' || want === undefined) return
      assert.equal(event.frame.command, want.command)
      assert.deepEqual(plain(event.frame.headers), want.headers)
      assert.deepEqual(new Uint8Array(event.frame.body), want.body)
    })
    assert.equal(parser.bufferedBytes, 0)
  }), { numRuns: 250 })
}

await test('round trip: serializeFrame then StompParser over random chunkings', async (t) => {
  for (const version of ['1.0', '1.1', '1.2'] as const) {
    await t.test(`gives back the same frames in STOMP ${version}`, () => check(version))
  }

  await t.test('always writes a head the parser accepts, LF-only, even for unrepresentable headers', () => {
    fc.assert(fc.property(generatedFrame, fc.constantFrom<StompVersion>('1.0', '1.1', '1.2'), (frame, version) => {
      const out = serializeFrame({ command: frame.command, headers: frame.headers, body: frame.body }, version)
      const headEnd = out.indexOf('\n\n')
      assert.ok(headEnd > 0)
      assert.equal(out.subarray(0, headEnd).includes('\r'), false)
      const events = new StompParser({ version }).push(out)
      assert.equal(events.length, 1)
      assert.equal(events[0]?.type, 'frame', JSON.stringify(events[0]))
      if (events[0]?.type === 'frame') assert.deepEqual(new Uint8Array(events[0].frame.body), bodyBytes(frame.body))
    }), { numRuns: 500 })
  })
})
