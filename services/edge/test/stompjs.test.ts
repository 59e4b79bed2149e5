import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Client, type IFrame, type IMessage } from '@stomp/stompjs'
import WebSocket from 'ws'
import { RawStompClient, waitFor } from '@chat/testing'
import { EdgeStack, roomTopic } from './harness.js'

// The happy path with @stomp/stompjs, the most used JavaScript STOMP client (issue #3):
// connect with a token, subscribe, send with receipt, receive, heart-beats, reconnect.

const stack = await EdgeStack.start({ EDGE_HEARTBEAT_MS: '300' })
const skip = stack === undefined

function stompClient (url: string, token: string, options: { heartbeatMs?: number, reconnectDelay?: number } = {}): Client {
  return new Client({
    webSocketFactory: () => new WebSocket(url, ['v12.stomp', 'v11.stomp']),
    connectHeaders: { Authorization: `Bearer ${token}` },
    heartbeatIncoming: options.heartbeatMs ?? 0,
    heartbeatOutgoing: options.heartbeatMs ?? 0,
    reconnectDelay: options.reconnectDelay ?? 0,
    debug: () => {},
  })
}

async function connected (client: Client): Promise<IFrame> {
  return await new Promise((resolve, reject) => {
    client.onConnect = resolve
    client.onStompError = (f) => reject(new Error(`STOMP ERROR ${f.headers.message ?? ''}`))
    client.activate()
  })
}

async function receipt (client: Client, id: string): Promise<IFrame> {
  return await new Promise((resolve) => client.watchForReceipt(id, resolve))
}

before(() => { if (skip) process.stderr.write('edge stompjs tests skipped: a server is unreachable\n') })
after(async () => { await stack?.close() })

test('stompjs connects with a token and gets CONNECTED with the SPEC headers', { skip }, async (t) => {
  const s = stack as EdgeStack
  const alice = await s.user()
  const client = stompClient(s.wsUrl, alice.token)
  t.after(async () => { await client.deactivate() })
  const frame = await connected(client)
  assert.equal(frame.headers.version, '1.2')
  assert.equal(frame.headers['user-name'], alice.username)
  assert.equal(frame.headers.server, 'stomp-chat/0.1')
  assert.match(frame.headers.session ?? '', /^[0-9a-f-]{36}$/)
  assert.equal(frame.headers['heart-beat'], '300,300')
})

test('subscribe, send with receipt, receive: two members see the message once, in seq order', { skip }, async (t) => {
  const s = stack as EdgeStack
  const [alice, bob] = [await s.user(), await s.user()]
  const roomId = await s.room(alice, bob)
  const a = stompClient(s.wsUrl, alice.token)
  const b = stompClient(s.wsUrl, bob.token)
  t.after(async () => { await a.deactivate(); await b.deactivate() })
  await Promise.all([connected(a), connected(b)])
  const got: { a: IMessage[], b: IMessage[] } = { a: [], b: [] }
  a.subscribe(roomTopic(roomId), (m) => got.a.push(m), { receipt: 'sa' })
  b.subscribe(roomTopic(roomId), (m) => got.b.push(m), { receipt: 'sb' })
  await Promise.all([receipt(a, 'sa'), receipt(b, 'sb')])

  const receipts = []
  for (let i = 0; i < 10; i++) {
    const r = receipt(a, `r${i}`)
    a.publish({ destination: `/app/rooms.${roomId}`, body: JSON.stringify({ content: `hello ${i}`, clientMsgId: `m${i}` }), headers: { receipt: `r${i}` } })
    receipts.push(r)
  }
  const frames = await Promise.all(receipts)
  for (const f of frames) assert.match(f.headers['message-id'] ?? '', /^[0-9a-f-]{36}$/)
  await waitFor(() => got.a.length >= 10 && got.b.length >= 10, { what: 'ten messages each' })
  for (const list of [got.a, got.b]) {
    assert.deepEqual(list.map((m) => Number(m.headers.seq)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert.deepEqual(list.map((m) => (JSON.parse(m.body) as { content: string }).content), Array.from({ length: 10 }, (_, i) => `hello ${i}`))
    for (const m of list) {
      assert.equal(m.headers['content-type'], 'application/json')
      assert.equal(m.headers.destination, roomTopic(roomId))
      const body = JSON.parse(m.body) as { id: string, seq: number, senderName: string, type: string }
      assert.equal(m.headers['message-id'], body.id)
      assert.equal(Number(m.headers.seq), body.seq)
      assert.equal(body.senderName, alice.username)
      assert.equal(body.type, 'TALK')
    }
  }
  // The RECEIPT's message-id is the stored message's id.
  assert.deepEqual(frames.map((f) => f.headers['message-id']), got.a.map((m) => m.headers['message-id']))
})

test('heart-beats flow both ways and keep an idle session open', { skip }, async (t) => {
  const s = stack as EdgeStack
  const alice = await s.user()
  const client = stompClient(s.wsUrl, alice.token, { heartbeatMs: 300 })
  t.after(async () => { await client.deactivate() })
  let pings = 0
  const frame = await connected(client)
  assert.equal(frame.headers['heart-beat'], '300,300')
  // stompjs closes the socket itself if the server's heart-beats stop; count the server's EOLs on the raw socket.
  const ws = client.webSocket as unknown as WebSocket
  ws.on('message', (data: Buffer) => { if (data.toString() === '\n') pings++ })
  await waitFor(() => pings >= 3, { timeoutMs: 5_000, what: 'three server heart-beats' })
  assert.equal(client.connected, true)
})

test('a client that stops sending heart-beats is dropped after twice the interval', { skip }, async (t) => {
  const s = stack as EdgeStack
  const alice = await s.user()
  const raw = await RawStompClient.open(s.wsUrl)
  t.after(() => raw.close())
  // The client's heart-beat clock starts when CONNECTED arrives (taken as it arrives, not when this test resumes).
  let started = Number.POSITIVE_INFINITY
  raw.onFrame = (f) => { if (f.command === 'CONNECTED') started = Date.now() }
  raw.send({ command: 'CONNECT', headers: { 'accept-version': '1.2', 'heart-beat': '300,300', Authorization: `Bearer ${alice.token}` } })
  const error = await raw.next((f) => f.command === 'ERROR', 5_000)
  assert.equal(error.headers.message, 'heartbeat-timeout')
  await raw.waitClosed()
  assert.ok(Date.now() - started >= 600, 'not before twice the agreed interval')
})

test('stompjs reconnects after the connection drops and resumes with since-seq, gapless and without duplicates', { skip }, async (t) => {
  const s = stack as EdgeStack
  const [alice, bob] = [await s.user(), await s.user()]
  const roomId = await s.room(alice, bob)
  const sender = stompClient(s.wsUrl, alice.token)
  const reader = stompClient(s.wsUrl, bob.token, { reconnectDelay: 100 })
  t.after(async () => { await sender.deactivate(); await reader.deactivate() })
  await connected(sender)
  const seen: number[] = []
  let connects = 0
  await new Promise<void>((resolve) => {
    reader.onConnect = () => {
      connects++
      const since: Record<string, string> = seen.length === 0 ? {} : { 'since-seq': String(seen[seen.length - 1]) }
      reader.subscribe(roomTopic(roomId), (m) => seen.push(Number(m.headers.seq)), { ...since, receipt: `sub-${connects}` })
      reader.watchForReceipt(`sub-${connects}`, () => resolve())
    }
    reader.activate()
  })
  const send = (i: number): void => { sender.publish({ destination: `/app/rooms.${roomId}`, body: JSON.stringify({ content: `m${i}`, clientMsgId: `k${i}` }) }) }
  for (let i = 1; i <= 5; i++) send(i)
  await waitFor(() => seen.length === 5, { what: 'first five' })
  // Drop the reader's socket under it (a network failure); send while it is away.
  ;(reader.webSocket as unknown as WebSocket).terminate()
  for (let i = 6; i <= 25; i++) send(i)
  await waitFor(() => connects >= 2 && seen.length >= 25, { timeoutMs: 10_000, what: 'the resumed stream' })
  for (let i = 26; i <= 30; i++) send(i)
  await waitFor(() => seen.length >= 30, { what: 'live after resume' })
  assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i + 1))
})
