import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bodyText, type Frame } from '@chat/protocol'
import { RawStompClient, frameJson, waitFor } from '@chat/testing'
import { EdgeStack, roomTopic, type StackUser } from './harness.js'

// Raw frames for every ERROR case of SPEC section 4 and for the limits: each asserts the code and that
// the socket closed, and that a bystander session in the same process keeps being served meanwhile.

const stack = await EdgeStack.start({ EDGE_LOGIN_TIMEOUT_MS: '400' })
const skip = stack === undefined
let bystander: RawStompClient
let bystanderUser: StackUser
let bystanderRoom: string
let bystanderSeq = 0

before(async () => {
  if (stack === undefined) return
  bystanderUser = await stack.user()
  bystanderRoom = await stack.room(bystanderUser)
  bystander = await RawStompClient.connect(stack.wsUrl, bystanderUser.token)
  bystander.send({ command: 'SUBSCRIBE', headers: { id: 's', destination: roomTopic(bystanderRoom), receipt: 'sub' } })
  await bystander.next((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'sub')
})
after(async () => {
  bystander?.close()
  await stack?.close()
})

/** The bystander still sends and receives: the process kept serving other sessions. */
async function bystanderStillServed (): Promise<void> {
  bystanderSeq++
  bystander.send({ command: 'SEND', headers: { destination: `/app/rooms.${bystanderRoom}`, receipt: `b${bystanderSeq}` }, body: JSON.stringify({ content: `still here ${bystanderSeq}` }) })
  await bystander.next((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === `b${bystanderSeq}`)
  await bystander.waitForMessages(roomTopic(bystanderRoom), bystanderSeq)
}

async function expectError (client: RawStompClient, code: string): Promise<Frame> {
  const error = await client.next((f) => f.command === 'ERROR')
  assert.equal(error.headers.message, code)
  assert.equal(error.headers.code, code)
  await client.waitClosed()
  await bystanderStillServed()
  return error
}

async function connected (user?: StackUser): Promise<RawStompClient> {
  const s = stack as EdgeStack
  return await RawStompClient.connect(s.wsUrl, (user ?? await s.user()).token)
}

test('a frame before CONNECT: ERROR not-connected, closed', { skip }, async () => {
  const c = await RawStompClient.open((stack as EdgeStack).wsUrl)
  c.send({ command: 'SEND', headers: { destination: '/app/rooms.x' }, body: 'hi' })
  await expectError(c, 'not-connected')
})

test('an unknown command: ERROR unknown-command, closed', { skip }, async () => {
  const c = await connected()
  c.sendRaw('FLY\ndestination:/x\n\n\0')
  await expectError(c, 'unknown-command')
})

test('a server frame sent by a client: ERROR unknown-command', { skip }, async () => {
  const c = await connected()
  c.sendRaw('MESSAGE\ndestination:/topic/x\n\n\0')
  await expectError(c, 'unknown-command')
})

test('missing required headers: SEND without destination, SUBSCRIBE without id', { skip }, async () => {
  const a = await connected()
  a.sendRaw('SEND\n\nbody\0')
  await expectError(a, 'missing-header')
  const b = await connected()
  b.sendRaw('SUBSCRIBE\ndestination:/topic/rooms.00000000-0000-0000-0000-000000000000\n\n\0')
  await expectError(b, 'missing-header')
})

test('a malformed frame (header line without a colon): ERROR malformed-frame', { skip }, async () => {
  const c = await connected()
  c.sendRaw('SEND\ndestination /app/x\n\nhi\0')
  await expectError(c, 'malformed-frame')
})

test('an undefined escape in a 1.2 header: ERROR invalid-escape', { skip }, async () => {
  const c = await connected()
  c.sendRaw('SUBSCRIBE\nid:a\\tb\ndestination:/topic/x\n\n\0')
  await expectError(c, 'invalid-escape')
})

test('a frame over 64 KiB: ERROR frame-too-large', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  c.sendRaw(`SEND\ndestination:/app/rooms.${room}\n\n${'x'.repeat(70_000)}\0`)
  await expectError(c, 'frame-too-large')
})

test('a content-length of 100 MB is refused at once, before the body arrives', { skip }, async () => {
  const c = await connected()
  c.sendRaw('SEND\ndestination:/app/x\ncontent-length:100000000\n\n' + 'x'.repeat(1000))
  await expectError(c, 'frame-too-large')
})

test('a frame over the small limit before CONNECT: ERROR frame-too-large', { skip }, async () => {
  const c = await RawStompClient.open((stack as EdgeStack).wsUrl)
  c.sendRaw(`CONNECT\naccept-version:1.2\n\n${'x'.repeat(20_000)}\0`)
  await expectError(c, 'frame-too-large')
})

test('more than 64 headers: ERROR too-many-headers', { skip }, async () => {
  const c = await connected()
  const headers = Array.from({ length: 65 }, (_, i) => `h${i}:v`).join('\n')
  c.sendRaw(`SEND\ndestination:/app/x\n${headers}\n\n\0`)
  await expectError(c, 'too-many-headers')
})

test('a header line over 8 KiB: ERROR header-too-long', { skip }, async () => {
  const c = await connected()
  c.sendRaw(`SEND\ndestination:/app/x\nx-big:${'y'.repeat(9_000)}\n\n\0`)
  await expectError(c, 'header-too-long')
})

test('a duplicate subscription id: ERROR duplicate-subscription', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  c.send({ command: 'SUBSCRIBE', headers: { id: 'same', destination: roomTopic(room) } })
  c.send({ command: 'SUBSCRIBE', headers: { id: 'same', destination: `${roomTopic(room)}.presence` } })
  await expectError(c, 'duplicate-subscription')
})

test('more than 256 subscriptions: ERROR too-many-subscriptions', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  // Several subscriptions may share a destination; each id counts.
  for (let i = 0; i < 257; i++) c.send({ command: 'SUBSCRIBE', headers: { id: `s${i}`, destination: roomTopic(room) } })
  await expectError(c, 'too-many-subscriptions')
})

test('an unsupported version: ERROR unsupported-version', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const c = await RawStompClient.open(s.wsUrl)
  c.send({ command: 'CONNECT', headers: { 'accept-version': '2.0', Authorization: `Bearer ${u.token}` } })
  await expectError(c, 'unsupported-version')
})

test('CONNECT without a token: ERROR unauthorized', { skip }, async () => {
  const c = await RawStompClient.open((stack as EdgeStack).wsUrl)
  c.send({ command: 'CONNECT', headers: { 'accept-version': '1.2' } })
  await expectError(c, 'unauthorized')
})

test('CONNECT twice: ERROR already-connected', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const c = await connected(u)
  c.send({ command: 'CONNECT', headers: { 'accept-version': '1.2', Authorization: `Bearer ${u.token}` } })
  await expectError(c, 'already-connected')
})

test('a socket that sends no CONNECT within the login timeout is closed', { skip }, async () => {
  const c = await RawStompClient.open((stack as EdgeStack).wsUrl)
  await expectError(c, 'login-timeout')
})

test('an unknown transaction: ERROR unknown-transaction; BEGIN twice: duplicate-transaction', { skip }, async () => {
  const c = await connected()
  c.send({ command: 'COMMIT', headers: { transaction: 'nope' } })
  await expectError(c, 'unknown-transaction')
  const d = await connected()
  d.send({ command: 'BEGIN', headers: { transaction: 't1' } })
  d.send({ command: 'BEGIN', headers: { transaction: 't1' } })
  await expectError(d, 'duplicate-transaction')
})

test('ERROR carries the receipt-id of the frame that caused it', { skip }, async () => {
  const c = await connected()
  c.send({ command: 'ABORT', headers: { transaction: 'nope', receipt: 'r-77' } })
  const e = await expectError(c, 'unknown-transaction')
  assert.equal(e.headers['receipt-id'], 'r-77')
})

test('failures that keep the connection open answer on /user/queue/errors with the receipt-id', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const other = await s.room(await s.user())
  const c = await connected(u)
  c.send({ command: 'SUBSCRIBE', headers: { id: 'e', destination: '/user/queue/errors' } })
  const errorsQueue = '/user/queue/errors'
  const cases: Array<[string, Record<string, string>, string]> = [
    ['invalid-body', { destination: `/app/rooms.${room}` }, 'not json'],
    ['invalid-body', { destination: `/app/rooms.${room}` }, JSON.stringify({ content: '' })],
    ['invalid-body', { destination: `/app/rooms.${room}` }, JSON.stringify({ content: 'x'.repeat(8001) })],
    ['invalid-body', { destination: `/app/rooms.${room}` }, JSON.stringify({ content: 'x', type: 'ENTER' })],
    ['forbidden', { destination: `/app/rooms.${other}` }, JSON.stringify({ content: 'x' })],
    ['unknown-destination', { destination: '/app/nowhere' }, JSON.stringify({ content: 'x' })],
  ]
  cases.forEach(([, headers, body], i) => c.send({ command: 'SEND', headers: { ...headers, receipt: `k${i}` }, body }))
  const errors = await c.waitForMessages(errorsQueue, cases.length)
  cases.forEach(([code], i) => {
    const e = errors[i] as Frame
    assert.equal(e.headers.code, code, `case ${i}`)
    assert.equal(e.headers['receipt-id'], `k${i}`)
    assert.equal(e.headers.subscription, 'e')
    const body = frameJson<{ code: string, receiptId: string, message: string }>(e)
    assert.equal(body.code, code)
    assert.equal(body.receiptId, `k${i}`)
    assert.equal(typeof body.message, 'string')
  })
  // Still open and serving.
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'ok' }, body: JSON.stringify({ content: 'fine' }) })
  await c.next((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'ok')
  assert.equal(c.closeCode, undefined)
})

test('SENDs past the session rate are refused with rate-limited, the connection open', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  c.send({ command: 'SUBSCRIBE', headers: { id: 'e', destination: '/user/queue/errors' } })
  // The default bucket: 40 at once, then 20 a second.
  const n = 80
  for (let i = 0; i < n; i++) c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: `r${i}` }, body: JSON.stringify({ content: `m${i}` }) })
  await c.next((f) => f.command === 'MESSAGE' && f.headers['receipt-id'] === `r${n - 1}`)
  const limited = c.messages('/user/queue/errors')
  assert.ok(limited.length >= 30 && limited.length <= 40, `${limited.length} refused`)
  assert.ok(limited.every((f) => f.headers.code === 'rate-limited'))
  // Every SEND with a receipt got a RECEIPT or an error: never silence. (An admitted SEND's RECEIPT comes with its
  // broker confirm, which may be after the last refusal: wait for each, up to the deadline.)
  const answered = (): Set<string | undefined> => new Set(c.frames.map((f) => f.headers['receipt-id']).filter((r) => r !== undefined))
  await waitFor(() => Array.from({ length: n }, (_, i) => `r${i}`).every((r) => answered().has(r)), { timeoutMs: 5_000, what: 'every SEND answered' }).catch(() => {})
  for (let i = 0; i < n; i++) assert.ok(answered().has(`r${i}`), `r${i} answered`)
  assert.equal(c.closeCode, undefined)
})

test('frames split over WebSocket messages and several in one message, text and binary', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  const sub = `SUBSCRIBE\nid:s\ndestination:${roomTopic(room)}\nreceipt:sub\n\n\0`
  for (const ch of sub.slice(0, 10)) c.sendRaw(ch)
  c.sendRaw(Buffer.from(sub.slice(10)))
  await c.next((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'sub')
  const send = (i: number): string => `SEND\ndestination:/app/rooms.${room}\ncontent-type:application/json\n\n${JSON.stringify({ content: `é${i}` })}\0\n`
  c.sendRaw(send(1) + send(2) + '\n\n' + send(3))
  await c.waitForMessages(roomTopic(room), 3)
  assert.deepEqual(c.messages(roomTopic(room)).map((f) => (JSON.parse(bodyText(f)) as { content: string }).content), ['é1', 'é2', 'é3'])
})

test('DISCONNECT with a receipt: RECEIPT after outstanding confirms, then the socket closes', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 's1' }, body: JSON.stringify({ content: 'last words' }) })
  c.send({ command: 'DISCONNECT', headers: { receipt: 'bye' } })
  const receiptIds = []
  for (const id of ['s1', 'bye']) receiptIds.push((await c.next((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === id)).headers['receipt-id'])
  const order = c.frames.filter((f) => f.command === 'RECEIPT').map((f) => f.headers['receipt-id'])
  assert.deepEqual(order, ['s1', 'bye'])
  assert.equal(await c.waitClosed(), 1000)
})

test('transactions: SENDs held until COMMIT, discarded on ABORT and on disconnect', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const room = await s.room(u)
  const c = await connected(u)
  c.send({ command: 'SUBSCRIBE', headers: { id: 's', destination: roomTopic(room), receipt: 'sub' } })
  await c.next((f) => f.headers['receipt-id'] === 'sub')
  c.send({ command: 'BEGIN', headers: { transaction: 'a' } })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, transaction: 'a' }, body: JSON.stringify({ content: 'aborted' }) })
  c.send({ command: 'ABORT', headers: { transaction: 'a', receipt: 'ab' } })
  await c.next((f) => f.headers['receipt-id'] === 'ab')
  c.send({ command: 'BEGIN', headers: { transaction: 't' } })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, transaction: 't', receipt: 'm1' }, body: JSON.stringify({ content: 'one' }) })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, transaction: 't', receipt: 'm2' }, body: JSON.stringify({ content: 'two' }) })
  // Nothing is published before COMMIT.
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'probe' }, body: JSON.stringify({ content: 'outside' }) })
  await c.waitForMessages(roomTopic(room), 1)
  assert.deepEqual(c.messages(roomTopic(room)).map((f) => frameJson<{ content: string }>(f).content), ['outside'])
  c.send({ command: 'COMMIT', headers: { transaction: 't', receipt: 'commit' } })
  await c.next((f) => f.headers['receipt-id'] === 'commit')
  // Each message was confirmed (its RECEIPT) before the COMMIT's RECEIPT.
  const receipts = c.frames.filter((f) => f.command === 'RECEIPT').map((f) => f.headers['receipt-id'])
  assert.ok(receipts.indexOf('m1') < receipts.indexOf('commit') && receipts.indexOf('m2') < receipts.indexOf('commit'))
  await c.waitForMessages(roomTopic(room), 3)
  assert.deepEqual(c.messages(roomTopic(room)).map((f) => frameJson<{ content: string }>(f).content), ['outside', 'one', 'two'])
  // A transaction left open at disconnect is discarded.
  c.send({ command: 'BEGIN', headers: { transaction: 'z' } })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, transaction: 'z' }, body: JSON.stringify({ content: 'never' }) })
  c.send({ command: 'DISCONNECT', headers: { receipt: 'bye' } })
  await c.waitClosed()
  const stored = await s.store.messages.page(room, { limit: 100 })
  assert.deepEqual(stored.messages.map((m) => m.content), ['outside', 'one', 'two'])
})

test('WebSocket subprotocols: v12 preferred, v11 and v10 accepted, and the version follows accept-version', { skip }, async () => {
  const s = stack as EdgeStack
  const u = await s.user()
  const c11 = await RawStompClient.open(s.wsUrl, { protocols: ['v11.stomp', 'v10.stomp'] })
  assert.equal(c11.ws.protocol, 'v11.stomp')
  c11.send({ command: 'STOMP', headers: { 'accept-version': '1.0,1.1', passcode: u.token } })
  const f = await c11.next((fr) => fr.command === 'CONNECTED')
  assert.equal(f.headers.version, '1.1')
  c11.close()
  const c12 = await RawStompClient.open(s.wsUrl, { protocols: ['v10.stomp', 'v12.stomp'] })
  assert.equal(c12.ws.protocol, 'v12.stomp')
  c12.close()
})
