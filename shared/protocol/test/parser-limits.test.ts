// FrameLimits at, just under and just over each bound. A breach is an error event, never a throw and never an
// unbounded buffer; the larger limits are detected before the frame has arrived.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_FRAME_LIMITS, StompErrorCode, StompParser } from '../src/index.js'
import { errorCode, parse, summaries } from './helpers.js'

/** A SEND frame of exactly `size` bytes (NUL included), with or without content-length. */
function sendOfSize (size: number, withLength: boolean): string {
  const head = (length: number): string => withLength ? `SEND\ncontent-length:${length}\n\n` : 'SEND\n\n'
  let bodyLength = size - head(0).length - 1
  while (head(bodyLength).length + bodyLength + 1 > size) bodyLength-- // the digits of the length count too
  const frame = head(bodyLength) + 'x'.repeat(bodyLength) + '\0'
  assert.equal(frame.length, size)
  return frame
}

await test('limits: defaults', async (t) => {
  await t.test('are 64 KiB frames, 64 headers, 8 KiB lines, and frame + line buffered', () => {
    assert.deepEqual({ ...DEFAULT_FRAME_LIMITS }, {
      maxFrameBytes: 65_536, maxHeaders: 64, maxHeaderLineBytes: 8_192, maxBufferedBytes: 65_536 + 8_192,
    })
  })

  await t.test('accept a default-sized frame and refuse one byte more', () => {
    assert.deepEqual(summaries(parse(sendOfSize(65_536, true))), ['frame:SEND'])
    assert.equal(errorCode(parse(sendOfSize(65_537, true))), StompErrorCode.FRAME_TOO_LARGE)
  })

  await t.test('fall back to the default for a value that is not a number >= 0', () => {
    const limits = { maxFrameBytes: Number.NaN, maxHeaders: -1, maxHeaderLineBytes: '5' as unknown as number }
    assert.deepEqual(summaries(parse(sendOfSize(65_536, false), { limits })), ['frame:SEND'])
  })
})

await test('limits: maxFrameBytes', async (t) => {
  const limits = { maxFrameBytes: 100 }

  for (const withLength of [true, false]) {
    const kind = withLength ? 'with content-length' : 'without content-length'
    await t.test(`accepts a frame of exactly the limit and just under, ${kind}`, () => {
      assert.deepEqual(summaries(parse(sendOfSize(100, withLength), { limits })), ['frame:SEND'])
      assert.deepEqual(summaries(parse(sendOfSize(99, withLength), { limits })), ['frame:SEND'])
    })

    await t.test(`refuses a frame one byte over the limit (frame-too-large), ${kind}`, () => {
      assert.equal(errorCode(parse(sendOfSize(101, withLength), { limits })), StompErrorCode.FRAME_TOO_LARGE)
    })
  }

  await t.test('does not count the EOLs after the NUL', () => {
    assert.deepEqual(summaries(parse(sendOfSize(100, true) + '\n', { limits })), ['frame:SEND', 'heartbeat'])
  })

  await t.test('refuses a declared content-length over the limit as soon as the headers end, before the body', () => {
    const parser = new StompParser({ limits })
    assert.equal(errorCode(parser.push('SEND\ncontent-length:1000\n\n')), StompErrorCode.FRAME_TOO_LARGE)
    assert.equal(parser.bufferedBytes, 0)
  })

  await t.test('refuses a huge declared content-length (frame-too-large), not a parse failure', () => {
    assert.equal(errorCode(parse('SEND\ncontent-length:99999999999999999999999\n\n')), StompErrorCode.FRAME_TOO_LARGE)
  })

  await t.test('refuses a body without content-length once the bytes held exceed the limit, before any NUL', () => {
    const parser = new StompParser({ limits })
    assert.deepEqual(parser.push('SEND\n\n' + 'x'.repeat(80)), [])
    assert.equal(errorCode(parser.push('x'.repeat(20))), StompErrorCode.FRAME_TOO_LARGE)
  })

  await t.test('refuses an incomplete frame as soon as it can no longer fit, NUL included', () => {
    const parser = new StompParser({ limits: { maxFrameBytes: 100, maxHeaderLineBytes: 1000 } })
    assert.deepEqual(parser.push('SEND\nh:' + 'v'.repeat(92)), []) // 99 bytes
    assert.equal(errorCode(parser.push('v')), StompErrorCode.FRAME_TOO_LARGE) // 100 bytes and no NUL yet
  })

  await t.test('refuses a head that alone is over the limit while its lines are still arriving', () => {
    const parser = new StompParser({ limits })
    assert.equal(errorCode(parser.push('SEND\n' + 'h:v\n'.repeat(30))), StompErrorCode.FRAME_TOO_LARGE)
  })
})

await test('limits: maxHeaders', async (t) => {
  const headers = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('')

  await t.test('accepts exactly the limit and just under', () => {
    assert.deepEqual(summaries(parse(`SEND\n${headers(4)}\n\0`, { limits: { maxHeaders: 4 } })), ['frame:SEND'])
    assert.deepEqual(summaries(parse(`SEND\n${headers(3)}\n\0`, { limits: { maxHeaders: 4 } })), ['frame:SEND'])
  })

  await t.test('refuses one header more (too-many-headers), before the frame ends', () => {
    assert.equal(errorCode(parse(`SEND\n${headers(5)}`, { limits: { maxHeaders: 4 } })), StompErrorCode.TOO_MANY_HEADERS)
  })

  await t.test('counts repeated headers', () => {
    assert.equal(errorCode(parse('SEND\na:1\na:2\na:3\n\n\0', { limits: { maxHeaders: 2 } })),
      StompErrorCode.TOO_MANY_HEADERS)
  })

  await t.test('accepts 64 headers by default and refuses 65', () => {
    assert.deepEqual(summaries(parse(`SEND\n${headers(64)}\n\0`)), ['frame:SEND'])
    assert.equal(errorCode(parse(`SEND\n${headers(65)}\n\0`)), StompErrorCode.TOO_MANY_HEADERS)
  })
})

await test('limits: maxHeaderLineBytes', async (t) => {
  const limits = { maxHeaderLineBytes: 20 }
  const line = (bytes: number): string => 'k:' + 'v'.repeat(bytes - 2)

  await t.test('accepts a header line of exactly the limit and just under, LF or CRLF', () => {
    for (const eol of ['\n', '\r\n']) {
      assert.deepEqual(summaries(parse(`SEND\n${line(20)}${eol}\n\0`, { limits })), ['frame:SEND'])
      assert.deepEqual(summaries(parse(`SEND\n${line(19)}${eol}\n\0`, { limits })), ['frame:SEND'])
    }
  })

  await t.test('refuses a header line one byte over (header-too-long)', () => {
    assert.equal(errorCode(parse(`SEND\n${line(21)}\n\n\0`, { limits })), StompErrorCode.HEADER_TOO_LONG)
  })

  await t.test('counts bytes, not characters', () => {
    assert.equal(errorCode(parse(`SEND\n${line(19)}é\n\n\0`, { limits })), StompErrorCode.HEADER_TOO_LONG)
  })

  await t.test('applies to the command line', () => {
    const smallLimits = { maxHeaderLineBytes: 4 }
    assert.deepEqual(summaries(parse('SEND\n\n\0', { limits: smallLimits })), ['frame:SEND'])
    assert.equal(errorCode(parse('ERROR\n\n\0', { limits: smallLimits })), StompErrorCode.HEADER_TOO_LONG)
  })

  await t.test('refuses a line while it is still incomplete, once it is over the limit', () => {
    const parser = new StompParser({ limits })
    assert.deepEqual(parser.push(`SEND\n${line(20)}`), [])
    assert.deepEqual(parser.push('\r'), []) // may still be the CR of a CRLF
    assert.equal(errorCode(parser.push('v')), StompErrorCode.HEADER_TOO_LONG)
  })

  await t.test('refuses an endless line without waiting for its end', () => {
    const parser = new StompParser()
    assert.equal(errorCode(parser.push('SEND\nk:' + 'v'.repeat(9000))), StompErrorCode.HEADER_TOO_LONG)
  })
})

await test('limits: maxBufferedBytes', async (t) => {
  await t.test('holds an incomplete frame of exactly the limit and refuses one byte more (buffer-overflow)', () => {
    const parser = new StompParser({ limits: { maxBufferedBytes: 30 } })
    assert.deepEqual(parser.push('SEND\n\n' + 'x'.repeat(24)), [])
    assert.equal(parser.bufferedBytes, 30)
    assert.equal(errorCode(parser.push('x')), StompErrorCode.BUFFER_OVERFLOW)
    assert.equal(parser.bufferedBytes, 0)
  })

  await t.test('refuses a tail over the limit left by a single message', () => {
    const parser = new StompParser({ limits: { maxBufferedBytes: 10 } })
    assert.deepEqual(summaries(parser.push('SEND\n\nok\0SEND\n\nxxxxxxx')), ['frame:SEND', 'error:buffer-overflow'])
  })

  await t.test('does not limit a frame that arrives whole in one message', () => {
    assert.deepEqual(summaries(parse('SEND\n\n' + 'x'.repeat(500) + '\0', { limits: { maxBufferedBytes: 10 } })),
      ['frame:SEND'])
  })

  await t.test('never holds more than the limit, however large the message completing a frame is', () => {
    const parser = new StompParser({ limits: { maxBufferedBytes: 50 } })
    parser.push('SEND\n\nabc')
    assert.equal(errorCode(parser.push('x'.repeat(10_000))), StompErrorCode.BUFFER_OVERFLOW)
    assert.equal(parser.bufferedBytes, 0)
  })

  await t.test('follows maxFrameBytes + maxHeaderLineBytes unless given', () => {
    const parser = new StompParser({ limits: { maxFrameBytes: 1_000_000, maxHeaderLineBytes: 100 } })
    parser.push('SEND\n\n')
    parser.push('x'.repeat(999_000))
    assert.equal(parser.bufferedBytes, 999_006)
    assert.deepEqual(summaries(parser.push('x\0')), ['frame:SEND'])
  })
})

await test('limits: setLimits', async (t) => {
  await t.test('applies a small limit before CONNECT and a larger one after', () => {
    const parser = new StompParser({ limits: { maxFrameBytes: 50 } })
    assert.deepEqual(summaries(parser.push('CONNECT\naccept-version:1.2\n\n\0')), ['frame:CONNECT'])
    parser.setLimits({ maxFrameBytes: 1000 })
    assert.deepEqual(summaries(parser.push(sendOfSize(1000, true))), ['frame:SEND'])
  })

  await t.test('keeps the limits not given', () => {
    const parser = new StompParser({ limits: { maxHeaders: 1 } })
    parser.setLimits({ maxFrameBytes: 1000 })
    assert.equal(errorCode(parser.push('SEND\na:1\nb:2\n\n\0')), StompErrorCode.TOO_MANY_HEADERS)
  })

  await t.test('recomputes maxBufferedBytes from the new frame limit when it was never given', () => {
    const parser = new StompParser({ limits: { maxFrameBytes: 50, maxHeaderLineBytes: 10 } })
    parser.setLimits({ maxFrameBytes: 5000 })
    parser.push('SEND\n\n' + 'x'.repeat(3000))
    assert.equal(parser.bufferedBytes, 3006)
  })
})
