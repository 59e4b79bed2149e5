// The destination grammar of SPEC section 4.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StompErrorCode, formatDestination, parseDestination } from '../src/index.js'
import type { Destination } from '../src/index.js'

const ROOM = '6f1c1b7e-3c3a-4d55-9a43-0b8e4b6a2f10'

await test('parseDestination', async (t) => {
  const valid: Array<[string, Destination]> = [
    [`/topic/rooms.${ROOM}`, { kind: 'room', roomId: ROOM }],
    [`/topic/rooms.${ROOM}.presence`, { kind: 'room-presence', roomId: ROOM }],
    [`/topic/rooms.${ROOM}.typing`, { kind: 'room-typing', roomId: ROOM }],
    [`/app/rooms.${ROOM}`, { kind: 'send', roomId: ROOM }],
    [`/app/rooms.${ROOM}.typing`, { kind: 'send-typing', roomId: ROOM }],
    [`/app/rooms.${ROOM}.read`, { kind: 'send-read', roomId: ROOM }],
    ['/app/session.token', { kind: 'session-token' }],
    ['/user/queue/notifications', { kind: 'user-queue', queue: 'notifications' }],
    ['/user/queue/errors', { kind: 'user-queue', queue: 'errors' }],
  ]

  for (const [text, destination] of valid) {
    await t.test(`parses ${text.replace(ROOM, '{roomId}')}`, () => {
      assert.deepEqual(parseDestination(text), { ok: true, destination })
    })
  }

  await t.test('lowercases a room id given in upper or mixed case', () => {
    assert.deepEqual(parseDestination(`/topic/rooms.${ROOM.toUpperCase()}`),
      { ok: true, destination: { kind: 'room', roomId: ROOM } })
    assert.deepEqual(parseDestination('/app/rooms.6F1c1B7e-3c3a-4d55-9a43-0b8e4b6a2f10.read'),
      { ok: true, destination: { kind: 'send-read', roomId: ROOM } })
  })

  const invalid: Array<[string, string]> = [
    ['trailing segment', `/topic/rooms.${ROOM}.presence.extra`],
    ['extra path segment', `/topic/rooms.${ROOM}/x`],
    ['trailing slash', '/user/queue/errors/'],
    ['trailing dot', `/topic/rooms.${ROOM}.`],
    ['wildcard *', '/topic/rooms.*'],
    ['wildcard #', '/topic/rooms.#'],
    ['wildcard suffix', `/topic/rooms.${ROOM}.*`],
    ['path traversal', `/topic/../app/rooms.${ROOM}`],
    ['dot segments', `/topic/rooms.${ROOM}/../../x`],
    ['empty id', '/topic/rooms.'],
    ['empty id with suffix', '/app/rooms..typing'],
    ['non-UUID id', '/topic/rooms.general'],
    ['UUID without dashes', '/topic/rooms.6f1c1b7e3c3a4d559a430b8e4b6a2f10'],
    ['UUID with braces', `/topic/rooms.{${ROOM}}`],
    ['UUID one char short', `/topic/rooms.${ROOM.slice(1)}`],
    ['non-hex UUID', '/topic/rooms.6f1c1b7e-3c3a-4d55-9a43-0b8e4b6a2g10'],
    ['leading space', ` /topic/rooms.${ROOM}`],
    ['trailing space', `/topic/rooms.${ROOM} `],
    ['trailing newline', `/topic/rooms.${ROOM}\n`],
    ['inner tab', `/topic/rooms.\t${ROOM}`],
    ['read is not a topic', `/topic/rooms.${ROOM}.read`],
    ['presence cannot be sent to', `/app/rooms.${ROOM}.presence`],
    ['unknown user queue', '/user/queue/other'],
    ['upper-case prefix', `/TOPIC/rooms.${ROOM}`],
    ['unknown prefix', `/queue/rooms.${ROOM}`],
    ['no leading slash', `topic/rooms.${ROOM}`],
    ['empty', ''],
    ['over 256 characters', `/topic/rooms.${ROOM}` + '.'.repeat(250)],
  ]

  for (const [name, text] of invalid) {
    await t.test(`refuses ${name} (unknown-destination)`, () => {
      const result = parseDestination(text)
      assert.equal(result.ok, false)
      assert.equal(!result.ok && result.code, StompErrorCode.UNKNOWN_DESTINATION)
    })
  }

  await t.test('refuses a value that is not a string instead of throwing', () => {
    assert.equal(parseDestination(undefined as unknown as string).ok, false)
  })
})

await test('formatDestination', async (t) => {
  await t.test('is the inverse of parseDestination for every kind', () => {
    const texts = [`/topic/rooms.${ROOM}`, `/topic/rooms.${ROOM}.presence`, `/topic/rooms.${ROOM}.typing`,
      `/app/rooms.${ROOM}`, `/app/rooms.${ROOM}.typing`, `/app/rooms.${ROOM}.read`, '/app/session.token',
      '/user/queue/notifications', '/user/queue/errors']
    for (const text of texts) {
      const parsed = parseDestination(text)
      assert.ok(parsed.ok)
      assert.equal(formatDestination(parsed.destination), text)
    }
  })

  await t.test('writes room ids in lowercase', () => {
    assert.equal(formatDestination({ kind: 'send', roomId: ROOM.toUpperCase() }), `/app/rooms.${ROOM}`)
  })
})
