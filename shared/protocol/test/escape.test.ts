// Header escaping (STOMP 1.2 "Value Encoding"; 1.1 had the same escapes but \r; 1.0 had none), on both sides.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StompErrorCode, StompParser, serializeFrame } from '../src/index.js'
import type { Frame } from '../src/index.js'
import { errorCode, parse, parseOne, plain } from './helpers.js'

await test('StompParser: header unescaping', async (t) => {
  await t.test('1.2 decodes \\n, \\c, \\\\ and \\r in names and values', () => {
    const frame = parseOne('MESSAGE\na\\cb\\nc:x\\r\\ny\\cz\\\\\n\n\0', { version: '1.2' })
    assert.deepEqual(plain(frame.headers), { 'a:b\nc': 'x\r\ny:z\\' })
  })

  await t.test('1.1 decodes \\n, \\c and \\\\', () => {
    const frame = parseOne('MESSAGE\na\\cb:x\\ny\\cz\\\\\n\n\0', { version: '1.1' })
    assert.deepEqual(plain(frame.headers), { 'a:b': 'x\ny:z\\' })
  })

  await t.test('1.1 refuses \\r, which it does not define (invalid-escape)', () => {
    assert.equal(errorCode(parse('MESSAGE\nfoo:a\\rb\n\n\0', { version: '1.1' })), StompErrorCode.INVALID_ESCAPE)
  })

  await t.test('1.0 decodes nothing', () => {
    const frame = parseOne('MESSAGE\nfoo:a\\cb\\n\\t\\\n\n\0', { version: '1.0' })
    assert.equal(frame.headers.foo, 'a\\cb\\n\\t\\')
  })

  await t.test('refuses an undefined escape sequence such as \\t (invalid-escape)', () => {
    assert.equal(errorCode(parse('MESSAGE\nfoo:a\\tb\n\n\0')), StompErrorCode.INVALID_ESCAPE)
  })

  await t.test('refuses a lone trailing backslash (invalid-escape)', () => {
    assert.equal(errorCode(parse('MESSAGE\nfoo:ab\\\n\n\0')), StompErrorCode.INVALID_ESCAPE)
  })

  await t.test('refuses an undefined escape in a header name (invalid-escape)', () => {
    assert.equal(errorCode(parse('MESSAGE\nf\\oo:ab\n\n\0')), StompErrorCode.INVALID_ESCAPE)
  })

  await t.test('never unescapes CONNECT and CONNECTED, in any version', () => {
    for (const command of ['CONNECT', 'CONNECTED'] as const) {
      for (const version of ['1.0', '1.1', '1.2'] as const) {
        const frame = parseOne(`${command}\npasscode:a\\cb\\t\\\n\n\0`, { version })
        assert.equal(frame.headers.passcode, 'a\\cb\\t\\', `${command} ${version}`)
      }
    }
  })

  await t.test('unescapes STOMP frames: the exemption names CONNECT and CONNECTED only', () => {
    assert.equal(parseOne('STOMP\nlogin:a\\cb\n\n\0').headers.login, 'a:b')
  })

  await t.test('applies the repeated-header rule to decoded names', () => {
    assert.equal(parseOne('MESSAGE\na\\cb:first\na\\cb:second\n\n\0').headers['a:b'], 'first')
  })

  await t.test('switches escaping rules with setVersion for the frames that follow', () => {
    const parser = new StompParser({ version: '1.0' })
    const [first] = parser.push('MESSAGE\nfoo:a\\cb\n\n\0')
    parser.setVersion('1.2')
    const [second] = parser.push('MESSAGE\nfoo:a\\cb\n\n\0')
    const headerOf = (e: typeof first): string | undefined => e?.type === 'frame' ? e.frame.headers.foo : undefined
    assert.equal(headerOf(first), 'a\\cb')
    assert.equal(headerOf(second), 'a:b')
  })
})

await test('serializeFrame: header escaping', async (t) => {
  const text = (frame: Parameters<typeof serializeFrame>[0], version?: '1.0' | '1.1' | '1.2'): string =>
    serializeFrame(frame, version).toString('utf8')

  await t.test('1.2 escapes CR, LF, colon and backslash in names and values', () => {
    assert.equal(text({ command: 'MESSAGE', headers: { 'a:b\n': 'x\r\ny:z\\' } }, '1.2'),
      'MESSAGE\na\\cb\\n:x\\r\\ny\\cz\\\\\n\n\0')
  })

  await t.test('1.1 escapes LF, colon and backslash, and writes CR (which it cannot escape) as a space', () => {
    assert.equal(text({ command: 'MESSAGE', headers: { 'a:b': 'x\r\ny:z\\' } }, '1.1'),
      'MESSAGE\na\\cb:x \\ny\\cz\\\\\n\n\0')
  })

  await t.test('1.0 writes values raw but for CR and LF, which become spaces', () => {
    assert.equal(text({ command: 'MESSAGE', headers: { foo: 'a:b\\c\r\nd' } }, '1.0'), 'MESSAGE\nfoo:a:b\\c  d\n\n\0')
  })

  await t.test('1.0 drops a header whose name holds a colon, CR or LF', () => {
    assert.equal(text({ command: 'MESSAGE', headers: { 'a:b': '1', 'c\nd': '2', 'e\rf': '3', 'g\\h': '4' } }, '1.0'),
      'MESSAGE\ng\\h:4\n\n\0')
  })

  await t.test('never escapes CONNECT and CONNECTED, writing them as 1.0 does', () => {
    for (const command of ['CONNECT', 'CONNECTED'] as const) {
      assert.equal(text({ command, headers: { passcode: 'a:b\\c\nd', 'x:y': 'dropped' } }, '1.2'),
        `${command}\npasscode:a:b\\c d\n\n\0`)
    }
  })

  await t.test('drops a header with an empty name', () => {
    assert.equal(text({ command: 'SEND', headers: { '': 'x', a: 'b' } }), 'SEND\na:b\n\n\0')
  })

  await t.test('round-trips every escapable character through the parser in 1.2 and 1.1', () => {
    const headers = { 'we:ird\\name\n': 'v:a\\l\nue', plain: 'x' }
    for (const version of ['1.1', '1.2'] as const) {
      const frame: Frame = parseOne(serializeFrame({ command: 'SEND', headers }, version), { version })
      assert.deepEqual(plain(frame.headers), headers, version)
    }
  })
})
