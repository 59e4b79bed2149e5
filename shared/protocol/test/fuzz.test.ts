// Fuzzing the parser with random bytes and mutated valid frames (byte flips, truncations, duplications,
// insertions, deletions) cut into random messages. Whatever the input: push never throws, the parser never holds
// more than maxBufferedBytes, nothing comes after an error, every frame it returns respects the limits, and the
// cuts do not change what is parsed.
import assert from 'node:assert/strict'
import { Buffer, isUtf8 } from 'node:buffer'
import { test } from 'node:test'
import fc from 'fast-check'
import { DEFAULT_FRAME_LIMITS, StompParser, serializeFrame } from '../src/index.js'
import type { FrameLimits, ParseEvent, StompVersion } from '../src/index.js'
import { bytes, concat, splitAt, summaries } from './helpers.js'

const LIMIT_SETS: Array<Partial<FrameLimits>> = [
  {},
  { maxFrameBytes: 120, maxHeaders: 3, maxHeaderLineBytes: 24 },
  { maxFrameBytes: 300, maxHeaderLineBytes: 200 },
  { maxBufferedBytes: 20 },
]

const CORPUS: Uint8Array[] = [
  serializeFrame({ command: 'SEND', headers: { destination: '/app/rooms.1', receipt: 'r-1' }, body: '{"content":"hé"}' }),
  serializeFrame({ command: 'MESSAGE', headers: { destination: '/t', 'a:b': 'c\\d\ne', seq: 3 }, body: new Uint8Array([0, 1, 0]) }),
  serializeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: 'h', passcode: 'p:w' } }, '1.2'),
  serializeFrame({ command: 'SUBSCRIBE', headers: { id: 'sub-0', destination: '/topic/x', ack: 'client' } }, '1.1'),
  bytes('\n\r\nSEND\r\ndestination:/q\r\n\r\nno length body\0\n\nDISCONNECT\nreceipt:77\n\n\0\r\n'),
  bytes('ERROR\nmessage:bad\ncontent-length:5\n\nab\0cd\0'),
  bytes('MESSAGE\nh1:v\nh2:v\nh3:v\nh4:v\nh5:v\n\n\0'),
  bytes(`SEND\nlong:${'x'.repeat(40)}\n\n${'y'.repeat(200)}\0`),
]

type Mutation =
  | { kind: 'flip', at: number, byte: number }
  | { kind: 'truncate', at: number }
  | { kind: 'duplicate', at: number, length: number }
  | { kind: 'insert', at: number, bytes: Uint8Array }
  | { kind: 'delete', at: number, length: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(0, 10, 13, 58, 92, 0x80, 0xc3, 0xff), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.nat(80) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat(12) }),
)

function mutate (input: Uint8Array, m: Mutation): Uint8Array {
  const at = input.length === 0 ? 0 : m.at % input.length
  switch (m.kind) {
    case 'flip': {
      const out = new Uint8Array(input)
      if (out.length > 0) out[at] = m.byte
      return out
    }
    case 'truncate': return input.subarray(0, at)
    case 'duplicate': return concat(input.subarray(0, at + m.length), input.subarray(at))
    case 'insert': return concat(input.subarray(0, at), m.bytes, input.subarray(at))
    case 'delete': return concat(input.subarray(0, at), input.subarray(at + m.length))
  }
}

const input = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.array(fc.constantFrom(...CORPUS), { minLength: 1, maxLength: 4 }), fc.array(mutation, { maxLength: 6 }))
      .map(([frames, mutations]) => mutations.reduce(mutate, concat(...frames))),
  },
)

const fuzzCase = fc.record({
  data: input,
  cuts: fc.array(fc.nat(), { maxLength: 10 }),
  text: fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
  limits: fc.constantFrom(...LIMIT_SETS),
  version: fc.constantFrom<StompVersion>('1.0', '1.1', '1.2'),
})

/** Pushes the chunks, checking the invariants after every push; returns all events. */
function pushAll (parser: StompParser, chunks: ReadonlyArray<Uint8Array | string>, limits: FrameLimits): ParseEvent[] {
  const all: ParseEvent[] = []
  let failed = false
  for (const chunk of chunks) {
    const events = parser.push(chunk) // must not throw
    if (failed) assert.deepEqual(events, [], 'events after an error')
    events.forEach((event, i) => {
      if (event.type === 'error') {
        assert.equal(i, events.length - 1, 'an error is the last event')
        failed = true
      }
      if (event.type === 'frame') {
        assert.ok(Object.keys(event.frame.headers).length <= limits.maxHeaders)
        assert.ok(event.frame.body.length < limits.maxFrameBytes)
      }
    })
    assert.ok(parser.bufferedBytes <= limits.maxBufferedBytes, `holds ${parser.bufferedBytes} bytes`)
    if (failed) assert.equal(parser.bufferedBytes, 0)
    all.push(...events)
  }
  return all
}

await test('fuzz: StompParser on random and mutated input', async (t) => {
  await t.test('never throws, stays within its limits and is unaffected by how the input is cut', () => {
    fc.assert(fc.property(fuzzCase, ({ data, cuts, text, limits: given, version }) => {
      const limits = { ...DEFAULT_FRAME_LIMITS, ...given }
      if (given.maxBufferedBytes === undefined) limits.maxBufferedBytes = limits.maxFrameBytes + limits.maxHeaderLineBytes
      const chunks = splitAt(data, cuts.map((c) => c % (data.length + 1)))
        .map((chunk, i) => (text[i % text.length] ?? false) && isUtf8(chunk) ? Buffer.from(chunk).toString() : chunk)
      const split = pushAll(new StompParser({ limits: given, version }), chunks, limits)
      // The same bytes in one message. The default buffer limit can never trip before frame-too-large does, so
      // with it the cuts must not change the frames and heart-beats, nor whether the stream fails.
      if (given.maxBufferedBytes !== undefined) return
      const whole = pushAll(new StompParser({ limits: given, version }), [data], limits)
      const beforeError = (events: ParseEvent[]): string[] => summaries(events.filter((e) => e.type !== 'error'))
      assert.deepEqual(beforeError(split), beforeError(whole))
      assert.equal(split.at(-1)?.type === 'error', whole.at(-1)?.type === 'error')
    }), { numRuns: 4000 })
  })

  await t.test('never throws on long runs of random bytes pushed one message after another', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), fc.constantFrom(...LIMIT_SETS),
      (chunks, given) => {
        const limits = { ...DEFAULT_FRAME_LIMITS, ...given }
        if (given.maxBufferedBytes === undefined) limits.maxBufferedBytes = limits.maxFrameBytes + limits.maxHeaderLineBytes
        pushAll(new StompParser({ limits: given }), chunks, limits)
      }), { numRuns: 300 })
  })
})
