// Frame parsing as STOMP 1.2 defines it (https://stomp.github.io/stomp-specification-1.2.html, "STOMP Frames",
// "Heart-beating", "Augmented BNF"). One test per behaviour; tests assert codes, never message text.
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { test } from 'node:test'
import { StompParser, StompErrorCode, bodyText } from '../src/index.js'
import type { Command } from '../src/index.js'
import { bytes, concat, errorCode, framesOf, parse, parseOne, plain, splitAt, summaries } from './helpers.js'

await test('StompParser: frames', async (t) => {
  await t.test('parses the command, the headers and a body ending at NUL', () => {
    const frame = parseOne('SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0')
    assert.equal(frame.command, 'SEND')
    assert.deepEqual(plain(frame.headers), { destination: '/queue/a', 'content-type': 'text/plain' })
    assert.equal(bodyText(frame), 'hello queue a')
  })

  await t.test('parses the example frames of the STOMP 1.2 specification', () => {
    const events = parse([
      'CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0',
      'CONNECTED\nversion:1.2\n\n\0',
      'MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0',
      'ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\nmessage:malformed frame received\n\n' +
        'The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n-----\n' +
        'Did not contain a destination header, which is REQUIRED\nfor message propagation.\n\0',
    ])
    assert.deepEqual(summaries(events), ['frame:CONNECT', 'frame:CONNECTED', 'frame:MESSAGE', 'frame:ERROR'])
    const [connect, , message, error] = framesOf(events)
    assert.deepEqual(plain(connect?.headers ?? {}), { 'accept-version': '1.2', host: 'stomp.github.org' })
    assert.equal(message?.headers['message-id'], '007')
    assert.equal(error?.body.length, 170)
    assert.ok(bodyText(error as never).endsWith('for message propagation.\n'))
  })

  await t.test('parses a frame with no headers and no body', () => {
    const frame = parseOne('DISCONNECT\n\n\0')
    assert.equal(frame.command, 'DISCONNECT')
    assert.deepEqual(plain(frame.headers), {})
    assert.equal(frame.body.length, 0)
  })

  await t.test('recognises every command of STOMP 1.0–1.2', () => {
    const commands: Command[] = ['CONNECT', 'STOMP', 'CONNECTED', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK',
      'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT', 'MESSAGE', 'RECEIPT', 'ERROR']
    for (const command of commands) assert.equal(parseOne(`${command}\n\n\0`).command, command)
  })

  await t.test('accepts CRLF line endings on the command and header lines', () => {
    const frame = parseOne('SEND\r\ndestination:/queue/a\r\nreceipt:r1\r\n\r\nbody\0')
    assert.equal(frame.command, 'SEND')
    assert.deepEqual(plain(frame.headers), { destination: '/queue/a', receipt: 'r1' })
    assert.equal(bodyText(frame), 'body')
  })

  await t.test('accepts LF and CRLF mixed in one frame', () => {
    const frame = parseOne('SEND\r\ndestination:/queue/a\nreceipt:r1\r\n\nbody\0')
    assert.deepEqual(plain(frame.headers), { destination: '/queue/a', receipt: 'r1' })
  })

  await t.test('returns headers in a null-prototype object, so __proto__ is an ordinary header', () => {
    const frame = parseOne('SEND\n__proto__:x\nconstructor:y\n\n\0')
    assert.equal(Object.getPrototypeOf(frame.headers), null)
    assert.deepEqual(Object.entries(frame.headers), [['__proto__', 'x'], ['constructor', 'y']])
  })

  await t.test('keeps the first value of a repeated header', () => {
    // The spec's example: "foo:World" then "foo:Hello" gives World.
    const frame = parseOne('MESSAGE\nfoo:World\nfoo:Hello\n\n\0')
    assert.equal(frame.headers.foo, 'World')
  })

  await t.test('keeps an empty header value', () => {
    assert.equal(parseOne('SEND\nfoo:\n\n\0').headers.foo, '')
  })

  await t.test('keeps whitespace around header names and values', () => {
    assert.deepEqual(plain(parseOne('SEND\n foo : bar \n\n\0').headers), { ' foo ': ' bar ' })
  })

  await t.test('splits a header line at its first colon', () => {
    assert.equal(parseOne('SEND\ntime:12:30:00\n\n\0', { version: '1.0' }).headers.time, '12:30:00')
  })

  await t.test('decodes UTF-8 in header names and values', () => {
    const frame = parseOne('SEND\ndestination:/queue/日本\nnäme:välue 😀\n\n\0')
    assert.equal(frame.headers.destination, '/queue/日本')
    assert.equal(frame.headers['näme'], 'välue 😀')
  })

  await t.test('returns the body as bytes and bodyText decodes it as UTF-8', () => {
    const frame = parseOne('SEND\n\nhéllo 😀\0')
    assert.deepEqual(frame.body, bytes('héllo 😀'))
    assert.equal(bodyText(frame), 'héllo 😀')
  })

  await t.test('accepts invalid UTF-8 in a body', () => {
    const frame = parseOne(concat('SEND\n\n', new Uint8Array([0xff, 0xfe, 0xc3]), '\0'))
    assert.deepEqual(frame.body, new Uint8Array([0xff, 0xfe, 0xc3]))
  })

  await t.test('reads exactly content-length bytes, NULs included', () => {
    const frame = parseOne(concat('SEND\ncontent-length:5\n\n', new Uint8Array([1, 0, 2, 0, 3]), '\0'))
    assert.deepEqual(frame.body, new Uint8Array([1, 0, 2, 0, 3]))
  })

  await t.test('reads an empty body for content-length:0', () => {
    const events = parse('SEND\ncontent-length:0\n\n\0SEND\n\n\0')
    assert.deepEqual(summaries(events), ['frame:SEND', 'frame:SEND'])
    assert.equal(framesOf(events)[0]?.body.length, 0)
  })

  await t.test('accepts leading zeros in content-length', () => {
    assert.equal(bodyText(parseOne('SEND\ncontent-length:003\n\nabc\0')), 'abc')
  })

  await t.test('ends a body without content-length at the first NUL', () => {
    const events = parse('SEND\n\nab\0\nSEND\n\ncd\0')
    assert.deepEqual(framesOf(events).map(bodyText), ['ab', 'cd'])
  })

  await t.test('refuses a content-length frame whose next byte is not NUL (malformed-frame)', () => {
    assert.equal(errorCode(parse('SEND\ncontent-length:2\n\nabc\0')), StompErrorCode.MALFORMED_FRAME)
  })

  await t.test('refuses a content-length that is not a non-negative decimal integer (invalid-content-length)', () => {
    for (const value of ['', '-1', '+1', '1.5', '0x10', ' 5', '5 ', 'abc', '1e3', '٣']) {
      assert.equal(errorCode(parse(`SEND\ncontent-length:${value}\n\n\0`)), StompErrorCode.INVALID_CONTENT_LENGTH,
        `content-length:${value}`)
    }
  })

  await t.test('uses the first of repeated content-length headers', () => {
    assert.equal(bodyText(parseOne('SEND\ncontent-length:2\ncontent-length:9\n\nab\0')), 'ab')
  })

  await t.test('refuses an unknown command (unknown-command)', () => {
    assert.equal(errorCode(parse('PUBLISH\n\n\0')), StompErrorCode.UNKNOWN_COMMAND)
  })

  await t.test('treats commands as case-sensitive', () => {
    assert.equal(errorCode(parse('send\n\n\0')), StompErrorCode.UNKNOWN_COMMAND)
  })

  await t.test('refuses a command line with trailing whitespace (unknown-command)', () => {
    assert.equal(errorCode(parse('SEND \n\n\0')), StompErrorCode.UNKNOWN_COMMAND)
  })

  await t.test('reports an unknown command as soon as its line ends, before the rest of the frame', () => {
    assert.equal(errorCode(parse('HELLO\n')), StompErrorCode.UNKNOWN_COMMAND)
  })

  await t.test('refuses a header line without a colon (malformed-frame)', () => {
    assert.equal(errorCode(parse('SEND\ndestination\n\n\0')), StompErrorCode.MALFORMED_FRAME)
  })

  await t.test('refuses an empty header name (malformed-frame)', () => {
    assert.equal(errorCode(parse('SEND\n:value\n\n\0')), StompErrorCode.MALFORMED_FRAME)
  })

  await t.test('refuses invalid UTF-8 in a header (malformed-frame)', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const input = concat('SEND\nfoo:', new Uint8Array(bad), '\n\n\0')
      assert.equal(errorCode(parse(input)), StompErrorCode.MALFORMED_FRAME, JSON.stringify(bad))
    }
  })

  await t.test('accepts U+FFFD written in a header', () => {
    assert.equal(parseOne('SEND\nfoo:\uFFFD\n\n\0').headers.foo, '\uFFFD')
  })

  await t.test('refuses a CR inside a header line in 1.2 (malformed-frame)', () => {
    assert.equal(errorCode(parse('SEND\nfoo:a\rb\n\n\0')), StompErrorCode.MALFORMED_FRAME)
  })

  await t.test('keeps a CR inside a header line in 1.1 and 1.0', () => {
    assert.equal(parseOne('SEND\nfoo:a\rb\n\n\0', { version: '1.1' }).headers.foo, 'a\rb')
    assert.equal(parseOne('SEND\nfoo:a\rb\n\n\0', { version: '1.0' }).headers.foo, 'a\rb')
  })
})

await test('StompParser: the byte stream', async (t) => {
  await t.test('parses several frames from one message, in order', () => {
    const events = parse('SEND\n\na\0SUBSCRIBE\nid:0\n\n\0MESSAGE\ncontent-length:1\n\nb\0')
    assert.deepEqual(summaries(events), ['frame:SEND', 'frame:SUBSCRIBE', 'frame:MESSAGE'])
  })

  await t.test('reports each EOL between frames as a heart-beat, LF or CRLF', () => {
    assert.deepEqual(summaries(parse('\n\r\n\n')), ['heartbeat', 'heartbeat', 'heartbeat'])
  })

  await t.test('reports the EOLs after a NUL as heart-beats, not errors', () => {
    assert.deepEqual(summaries(parse('SEND\n\na\0\n\r\nSEND\n\nb\0\n')),
      ['frame:SEND', 'heartbeat', 'heartbeat', 'frame:SEND', 'heartbeat'])
  })

  await t.test('reports one heart-beat for a CRLF split between two messages', () => {
    const parser = new StompParser()
    assert.deepEqual(parser.push('\r'), [])
    assert.equal(parser.bufferedBytes, 1)
    assert.deepEqual(summaries(parser.push('\n')), ['heartbeat'])
    assert.equal(parser.bufferedBytes, 0)
  })

  await t.test('refuses a CR between frames that is not followed by LF (malformed-frame)', () => {
    assert.equal(errorCode(parse('\rSEND\n\n\0')), StompErrorCode.MALFORMED_FRAME)
  })

  await t.test('parses a frame split at every byte, including inside UTF-8, CRLF and the NUL-bearing body', () => {
    const frame = concat('MESSAGE\r\ndestination:/topic/日本\ncontent-length:4\r\n\r\n', new Uint8Array([0, 1, 0, 2]),
      '\0\r\n')
    for (let cut = 1; cut < frame.length; cut++) {
      const events = parse(splitAt(frame, [cut]))
      assert.deepEqual(summaries(events), ['frame:MESSAGE', 'heartbeat'], `cut at ${cut}`)
      const parsed = framesOf(events)[0]
      assert.equal(parsed?.headers.destination, '/topic/日本')
      assert.deepEqual(parsed?.body, new Uint8Array([0, 1, 0, 2]))
    }
  })

  await t.test('parses a frame fed one byte per message', () => {
    const input = bytes('SEND\ndestination:/q/é\n\nbody without length\0')
    const chunks = Array.from(input, (b) => new Uint8Array([b]))
    const frame = parseOne(chunks)
    assert.equal(frame.headers.destination, '/q/é')
    assert.equal(bodyText(frame), 'body without length')
  })

  await t.test('parses text messages and binary messages alike, mixed', () => {
    const events = parse(['SEND\ndesti', bytes('nation:/q\n\nhé'), 'llo\0', bytes('\n')])
    assert.deepEqual(summaries(events), ['frame:SEND', 'heartbeat'])
    assert.equal(bodyText(framesOf(events)[0] as never), 'héllo')
  })

  await t.test('parses a Uint8Array that is a view into a larger buffer', () => {
    const backing = bytes('xxxxSEND\n\nbody\0yyyy')
    const view = backing.subarray(4, backing.length - 4)
    assert.equal(bodyText(parseOne(view)), 'body')
  })

  await t.test('does not copy a body that lies within one message', () => {
    const chunk = bytes('SEND\ncontent-length:4\n\nbody\0')
    const frame = parseOne(chunk)
    assert.equal(frame.body.buffer, chunk.buffer)
  })

  await t.test('returns a body assembled over several messages that later pushes do not overwrite', () => {
    const parser = new StompParser()
    parser.push('SEND\n\nfirst')
    const [event] = parser.push(' body\0SEND\n\nsecond bo')
    parser.push('dy\0')
    parser.push('SEND\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
    assert.equal(event?.type === 'frame' ? bodyText(event.frame) : undefined, 'first body')
  })

  await t.test('completes a held frame and goes on with the rest of the message', () => {
    const parser = new StompParser()
    assert.deepEqual(parser.push('SEND\n\nab'), [])
    assert.deepEqual(summaries(parser.push('c\0\nSEND\n\nd\0SEND\n')), ['frame:SEND', 'heartbeat', 'frame:SEND'])
    assert.equal(parser.bufferedBytes, 5)
    assert.deepEqual(summaries(parser.push('\n\0')), ['frame:SEND'])
  })

  await t.test('reports the bytes held while a frame is incomplete', () => {
    const parser = new StompParser()
    parser.push('SEND\n\nabc')
    assert.equal(parser.bufferedBytes, 9)
    parser.push('def')
    assert.equal(parser.bufferedBytes, 12)
    parser.push('\0')
    assert.equal(parser.bufferedBytes, 0)
  })

  await t.test('returns no events for an empty message', () => {
    assert.deepEqual(new StompParser().push(''), [])
    assert.deepEqual(new StompParser().push(new Uint8Array(0)), [])
  })

  await t.test('reports the frames before an error in the same message, then the error', () => {
    assert.deepEqual(summaries(parse('SEND\n\na\0\nBOGUS\n\n\0SEND\n\nb\0')),
      ['frame:SEND', 'heartbeat', 'error:unknown-command'])
  })

  await t.test('is failed after an error: no more events and no buffer', () => {
    const parser = new StompParser()
    parser.push('SEND\n\nab')
    assert.equal(errorCode(parser.push('c\0NOPE\n')), StompErrorCode.UNKNOWN_COMMAND)
    assert.equal(parser.bufferedBytes, 0)
    assert.deepEqual(parser.push('SEND\n\n\0'), [])
    assert.deepEqual(parser.push('\n'), [])
    assert.equal(parser.bufferedBytes, 0)
  })

  await t.test('reports a chunk that is neither text nor bytes as malformed-frame instead of throwing', () => {
    const parser = new StompParser()
    assert.equal(errorCode(parser.push(42 as unknown as string)), StompErrorCode.MALFORMED_FRAME)
    assert.deepEqual(parser.push('SEND\n\n\0'), [])
  })

  await t.test('accepts a Buffer as a binary message', () => {
    assert.equal(bodyText(parseOne(Buffer.from('SEND\n\nbuf\0'))), 'buf')
  })
})
