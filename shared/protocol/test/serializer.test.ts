import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { test } from 'node:test'
import { MessageFrameTemplate, serializeFrame, bodyText } from '../src/index.js'
import { parseOne, plain } from './helpers.js'

await test('serializeFrame', async (t) => {
  await t.test('writes the command, the headers, a blank line, the body and NUL, lines ending with LF only', () => {
    const out = serializeFrame({ command: 'MESSAGE', headers: { destination: '/topic/a', 'message-id': 'm1' }, body: 'hi' })
    assert.equal(out.toString(), 'MESSAGE\ndestination:/topic/a\nmessage-id:m1\ncontent-length:2\n\nhi\0')
  })

  await t.test('writes no content-length for a frame without a body', () => {
    assert.equal(serializeFrame({ command: 'RECEIPT', headers: { 'receipt-id': 'r1' } }).toString(),
      'RECEIPT\nreceipt-id:r1\n\n\0')
  })

  await t.test('writes no content-length for an empty body', () => {
    assert.equal(serializeFrame({ command: 'SEND', body: '' }).toString(), 'SEND\n\n\0')
    assert.equal(serializeFrame({ command: 'SEND', body: new Uint8Array(0) }).toString(), 'SEND\n\n\0')
  })

  await t.test('writes content-length in bytes, not characters', () => {
    assert.equal(serializeFrame({ command: 'SEND', body: 'héllo 😀' }).toString(),
      'SEND\ncontent-length:11\n\nhéllo 😀\0')
  })

  await t.test('writes a binary body with NULs as is, framed by content-length', () => {
    const out = serializeFrame({ command: 'SEND', body: new Uint8Array([0, 1, 0]) })
    assert.deepEqual([...out], [...Buffer.from('SEND\ncontent-length:3\n\n'), 0, 1, 0, 0])
  })

  await t.test('replaces a content-length given by the caller with the true one, never writing two', () => {
    const out = serializeFrame({ command: 'SEND', headers: { 'content-length': 99, a: 'b' }, body: 'abc' }).toString()
    assert.equal(out, 'SEND\na:b\ncontent-length:3\n\nabc\0')
    const array = serializeFrame({ command: 'SEND', headers: [['content-length', '1'], ['content-length', '2']] })
    assert.equal(array.toString(), 'SEND\n\n\0')
  })

  await t.test('writes number values in decimal', () => {
    assert.equal(serializeFrame({ command: 'MESSAGE', headers: { seq: 42, 'x-float': 1.5 } }).toString(),
      'MESSAGE\nseq:42\nx-float:1.5\n\n\0')
  })

  await t.test('omits a header whose value is undefined (from an untyped caller)', () => {
    const headers = { a: '1', receipt: undefined } as unknown as Record<string, string>
    assert.equal(serializeFrame({ command: 'SEND', headers }).toString(), 'SEND\na:1\n\n\0')
  })

  await t.test('writes headers given as pairs in order, repeats included', () => {
    assert.equal(serializeFrame({ command: 'MESSAGE', headers: [['b', '1'], ['a', 2], ['b', '3']] }).toString(),
      'MESSAGE\nb:1\na:2\nb:3\n\n\0')
  })

  await t.test('writes UTF-8 header names and values', () => {
    const out = serializeFrame({ command: 'MESSAGE', headers: { näme: '日本 😀' } })
    assert.equal(out.toString(), 'MESSAGE\nnäme:日本 😀\n\n\0')
    assert.equal(parseOne(out).headers['näme'], '日本 😀')
  })

  await t.test('escapes for 1.2 by default', () => {
    assert.equal(serializeFrame({ command: 'MESSAGE', headers: { a: 'b:c' } }).toString(), 'MESSAGE\na:b\\cc\n\n\0')
  })

  await t.test('returns a Buffer that later serializations do not overwrite', () => {
    const first = serializeFrame({ command: 'MESSAGE', headers: { n: 'first' }, body: 'x'.repeat(100) })
    const copy = Buffer.from(first)
    for (let i = 0; i < 5000; i++) serializeFrame({ command: 'MESSAGE', headers: { n: String(i) }, body: 'y'.repeat(i % 300) })
    assert.deepEqual(first, copy)
  })

  await t.test('serializes frames larger than its pooled size', () => {
    const body = 'é'.repeat(40_000)
    const frame = parseOne(serializeFrame({ command: 'SEND', headers: { destination: '/a' }, body }),
      { limits: { maxFrameBytes: 100_000 } })
    assert.equal(bodyText(frame), body)
    assert.equal(frame.headers['content-length'], '80000')
  })

  await t.test('is read back by the parser as the same frame', () => {
    const headers = { destination: '/topic/rooms.1', 'message-id': 'm-1', seq: '7', 'content-type': 'application/json' }
    const frame = parseOne(serializeFrame({ command: 'MESSAGE', headers, body: '{"a":"\\u0000"}' }))
    assert.deepEqual(plain(frame.headers), { ...headers, 'content-length': '14' })
    assert.equal(bodyText(frame), '{"a":"\\u0000"}')
  })
})

await test('MessageFrameTemplate', async (t) => {
  const headers = { destination: '/topic/rooms.1', 'message-id': 'm-1', seq: 7, 'content-type': 'application/json' }
  const body = '{"content":"héllo"}'

  await t.test('gives the bytes serializeFrame gives for the same MESSAGE with the subscription header', () => {
    const template = new MessageFrameTemplate(headers, body)
    assert.deepEqual(template.forSubscription('sub-0'),
      serializeFrame({ command: 'MESSAGE', headers: { ...headers, subscription: 'sub-0' }, body }))
  })

  await t.test('adds the ack header when given', () => {
    const frame = parseOne(new MessageFrameTemplate(headers, body).forSubscription('sub-1', 'ack-9'))
    assert.equal(frame.headers.subscription, 'sub-1')
    assert.equal(frame.headers.ack, 'ack-9')
    assert.equal(bodyText(frame), body)
  })

  await t.test('returns the same Buffer for the same subscription id and ack, and different ones otherwise', () => {
    const template = new MessageFrameTemplate(headers, body)
    const a = template.forSubscription('sub-0')
    assert.equal(template.forSubscription('sub-0'), a)
    assert.notEqual(template.forSubscription('sub-1'), a)
    const withAck = template.forSubscription('sub-0', 'x')
    assert.notEqual(withAck, a)
    assert.equal(template.forSubscription('sub-0', 'x'), withAck)
    assert.notEqual(template.forSubscription('sub-0', 'y'), withAck)
    assert.equal(parseOne(template.forSubscription('x', 'sub-0')).headers.subscription, 'x')
  })

  await t.test('ignores subscription, ack and content-length among the given headers', () => {
    const template = new MessageFrameTemplate({ ...headers, subscription: 'old', ack: 'old', 'content-length': 1 }, body)
    const frame = parseOne(template.forSubscription('new'))
    assert.equal(frame.headers.subscription, 'new')
    assert.equal(frame.headers.ack, undefined)
    assert.equal(frame.headers['content-length'], String(Buffer.byteLength(body)))
  })

  await t.test('escapes the subscription id as the version requires', () => {
    const frame = new MessageFrameTemplate(headers, body, '1.2').forSubscription('a:b\\c')
    assert.ok(frame.toString().includes('subscription:a\\cb\\\\c\n'))
    assert.equal(parseOne(frame).headers.subscription, 'a:b\\c')
    assert.ok(new MessageFrameTemplate(headers, body, '1.0').forSubscription('a:b').toString().includes('subscription:a:b\n'))
  })

  await t.test('takes a binary body and an empty one', () => {
    assert.deepEqual(parseOne(new MessageFrameTemplate(headers, new Uint8Array([0, 1])).forSubscription('s')).body,
      new Uint8Array([0, 1]))
    assert.equal(new MessageFrameTemplate({ destination: '/d' }, '').forSubscription('s').toString(),
      'MESSAGE\ndestination:/d\nsubscription:s\n\n\0')
  })

  await t.test('stays correct past its cache size', () => {
    const template = new MessageFrameTemplate(headers, body)
    for (let i = 0; i < 3000; i++) assert.equal(parseOne(template.forSubscription(`sub-${i}`)).headers.subscription, `sub-${i}`)
    assert.equal(parseOne(template.forSubscription('sub-2999', 'a')).headers.ack, 'a')
  })
})
