import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { RawStompClient, frameJson, waitFor } from '@chat/testing'
import { newId, type InboundMessage } from '@chat/schemas'
import { EdgeStack, roomTopic, type StackUser } from './harness.js'

// Authorization, gapless resume, typing, read markers, notifications and presence on room streams.

const stack = await EdgeStack.start()
const skip = stack === undefined
after(async () => { await stack?.close() })

async function subscribe (c: RawStompClient, id: string, destination: string, headers: Record<string, string> = {}): Promise<void> {
  c.send({ command: 'SUBSCRIBE', headers: { id, destination, receipt: `sub-${id}`, ...headers } })
  await c.next((f) => f.headers['receipt-id'] === `sub-${id}`, 10_000)
}

/** Stores messages straight through the store (as if sent while the client was away). */
async function seed (roomId: string, sender: StackUser, count: number, from = 0): Promise<void> {
  const s = stack as EdgeStack
  for (let i = 0; i < count; i += 500) {
    const batch: InboundMessage[] = []
    for (let j = i; j < Math.min(count, i + 500); j++) {
      batch.push({ v: 1, id: newId(), roomId, senderId: sender.userId, senderName: sender.username, type: 'TALK', content: `seed ${from + j}`, clientMsgId: `seed-${from + j}`, sentAt: new Date().toISOString() })
    }
    await s.store.messages.persistBatch(batch)
  }
}

function seqs (c: RawStompClient, roomId: string): number[] {
  return c.messages(roomTopic(roomId)).map((f) => Number(f.headers.seq))
}

test('SUBSCRIBE and SEND to a room the user is not in are refused; nothing of it is delivered', { skip }, async () => {
  const s = stack as EdgeStack
  const [owner, outsider] = [await s.user(), await s.user()]
  const room = await s.room(owner)
  const c = await RawStompClient.connect(s.wsUrl, outsider.token)
  await subscribe(c, 'e', '/user/queue/errors')
  c.send({ command: 'SUBSCRIBE', headers: { id: 'r', destination: roomTopic(room), receipt: 'x1' } })
  c.send({ command: 'SUBSCRIBE', headers: { id: 'p', destination: `${roomTopic(room)}.presence`, receipt: 'x2' } })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'x3' }, body: JSON.stringify({ content: 'let me in' }) })
  const errors = await c.waitForMessages('/user/queue/errors', 3)
  assert.deepEqual(errors.map((f) => [f.headers['receipt-id'], f.headers.code]), [['x1', 'forbidden'], ['x2', 'forbidden'], ['x3', 'forbidden']])
  const o = await RawStompClient.connect(s.wsUrl, owner.token)
  o.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'm' }, body: JSON.stringify({ content: 'members only' }) })
  await o.next((f) => f.headers['receipt-id'] === 'm')
  await waitFor(async () => (await s.store.messages.lastSeq(room)) === 1)
  assert.equal(c.messages(roomTopic(room)).length, 0)
  assert.equal((await s.store.messages.lastSeq(room)), 1, 'the outsider stored nothing')
  c.close()
  o.close()
})

test('a member removed while subscribed stops receiving at once and is told on the notifications queue', { skip }, async () => {
  const s = stack as EdgeStack
  const [owner, member] = [await s.user(), await s.user()]
  const room = await s.room(owner, member)
  const m = await RawStompClient.connect(s.wsUrl, member.token)
  await subscribe(m, 'n', '/user/queue/notifications')
  await subscribe(m, 'r', roomTopic(room))
  const o = await RawStompClient.connect(s.wsUrl, owner.token)
  o.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'a' }, body: JSON.stringify({ content: 'before' }) })
  await m.waitForMessages(roomTopic(room), 1)
  await s.removeMember(room, member.userId)
  const note = await m.next((f) => f.headers.destination === '/user/queue/notifications')
  assert.deepEqual(frameJson(note), { type: 'removed', roomId: room })
  o.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'b' }, body: JSON.stringify({ content: 'after' }) })
  await o.next((f) => f.headers['receipt-id'] === 'b')
  await waitFor(async () => (await s.store.messages.lastSeq(room)) === 2)
  // A probe message in another room the member is in proves delivery kept flowing to this session.
  const probeRoom = await s.room(member)
  await subscribe(m, 'probe', roomTopic(probeRoom))
  m.send({ command: 'SEND', headers: { destination: `/app/rooms.${probeRoom}` }, body: JSON.stringify({ content: 'probe' }) })
  await m.waitForMessages(roomTopic(probeRoom), 1)
  assert.deepEqual(seqs(m, room), [1])
  // And the former member can no longer send there.
  await subscribe(m, 'e', '/user/queue/errors')
  m.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'c' }, body: JSON.stringify({ content: 'again' }) })
  const e = await m.next((f) => f.headers['receipt-id'] === 'c')
  assert.equal(e.headers.code, 'forbidden')
  m.close()
  o.close()
})

test('resume after 500 messages arrived while away: exactly those 500, in order, then live', { skip }, async () => {
  const s = stack as EdgeStack
  const [a, b] = [await s.user(), await s.user()]
  const room = await s.room(a, b)
  await seed(room, a, 10)
  const c = await RawStompClient.connect(s.wsUrl, b.token)
  await subscribe(c, 'r', roomTopic(room), { 'since-seq': '0' })
  await c.waitForMessages(roomTopic(room), 10)
  c.close()
  await seed(room, a, 500, 10)
  const again = await RawStompClient.connect(s.wsUrl, b.token)
  await subscribe(again, 'r', roomTopic(room), { 'since-seq': '10' })
  await again.waitForMessages(roomTopic(room), 500)
  const sender = await RawStompClient.connect(s.wsUrl, a.token)
  for (let i = 0; i < 5; i++) sender.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}` }, body: JSON.stringify({ content: `live ${i}` }) })
  await again.waitForMessages(roomTopic(room), 505)
  assert.deepEqual(seqs(again, room), Array.from({ length: 505 }, (_, i) => i + 11))
  assert.ok(again.messages(roomTopic(room)).every((f) => f.headers['x-recovered'] === undefined))
  again.close()
  sender.close()
})

test('a resume beyond 1,000 messages sends the latest 1,000 marked x-recovered:false, then live', { skip }, async () => {
  const s = stack as EdgeStack
  const a = await s.user()
  const room = await s.room(a)
  await seed(room, a, 1_200)
  const c = await RawStompClient.connect(s.wsUrl, a.token)
  await subscribe(c, 'r', roomTopic(room), { 'since-seq': '0' })
  const frames = await c.waitForMessages(roomTopic(room), 1_000)
  assert.deepEqual(frames.map((f) => Number(f.headers.seq)), Array.from({ length: 1_000 }, (_, i) => i + 201))
  assert.ok(frames.every((f) => f.headers['x-recovered'] === 'false'))
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}` }, body: JSON.stringify({ content: 'live' }) })
  await c.waitForMessages(roomTopic(room), 1_001)
  const live = c.messages(roomTopic(room))[1_000]
  assert.equal(live?.headers.seq, '1201')
  assert.equal(live?.headers['x-recovered'], undefined)
  c.close()
})

test('since-seq beyond the last message: no gap, live from the next one', { skip }, async () => {
  const s = stack as EdgeStack
  const a = await s.user()
  const room = await s.room(a)
  await seed(room, a, 3)
  const c = await RawStompClient.connect(s.wsUrl, a.token)
  await subscribe(c, 'r', roomTopic(room), { 'since-seq': '99' })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}` }, body: JSON.stringify({ content: 'four' }) })
  await c.waitForMessages(roomTopic(room), 1)
  assert.deepEqual(seqs(c, room), [4])
  c.close()
})

test('typing is relayed to the room\'s typing subscribers and never stored', { skip }, async () => {
  const s = stack as EdgeStack
  const [a, b] = [await s.user(), await s.user()]
  const room = await s.room(a, b)
  const cb = await RawStompClient.connect(s.wsUrl, b.token)
  await subscribe(cb, 't', `${roomTopic(room)}.typing`)
  const ca = await RawStompClient.connect(s.wsUrl, a.token)
  ca.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}.typing`, receipt: 'typing' }, body: '' })
  await ca.next((f) => f.headers['receipt-id'] === 'typing')
  const [event] = await cb.waitForMessages(`${roomTopic(room)}.typing`, 1)
  const body = frameJson<{ type: string, userId: string, username: string, roomId: string }>(event as never)
  assert.equal(body.type, 'typing')
  assert.equal(body.userId, a.userId)
  assert.equal(body.username, a.username)
  assert.equal(body.roomId, room)
  assert.equal(await s.store.messages.lastSeq(room), 0)
  ca.close()
  cb.close()
})

test('read markers: SEND .read and ACK move the marker forward only; the user\'s other sessions get the unread count', { skip }, async () => {
  const s = stack as EdgeStack
  const [a, b] = [await s.user(), await s.user()]
  const room = await s.room(a, b)
  await seed(room, a, 10)
  const other = await RawStompClient.connect(s.wsUrl, b.token)
  await subscribe(other, 'n', '/user/queue/notifications')
  const c = await RawStompClient.connect(s.wsUrl, b.token)
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}.read`, receipt: 'read6' }, body: JSON.stringify({ seq: 6 }) })
  await c.next((f) => f.headers['receipt-id'] === 'read6')
  assert.deepEqual(await s.store.rooms.unread(b.userId), [{ roomId: room, unread: 4 }])
  const note = await other.next((f) => f.headers.destination === '/user/queue/notifications')
  assert.deepEqual(frameJson(note), { type: 'unread', roomId: room, unread: 4, lastReadSeq: 6 })
  c.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}.read`, receipt: 'read2' }, body: JSON.stringify({ seq: 2 }) })
  await c.next((f) => f.headers['receipt-id'] === 'read2')
  assert.deepEqual(await s.store.rooms.unread(b.userId), [{ roomId: room, unread: 4 }], 'never moves back')
  // ACK of a MESSAGE in client-individual mode moves the marker too.
  await subscribe(c, 'r', roomTopic(room), { 'since-seq': '8', ack: 'client-individual' })
  const [ninth, tenth] = await c.waitForMessages(roomTopic(room), 2)
  assert.equal(ninth?.headers.ack, `${room}:9`)
  c.send({ command: 'ACK', headers: { id: tenth?.headers.ack ?? '', receipt: 'acked' } })
  await c.next((f) => f.headers['receipt-id'] === 'acked')
  await waitFor(async () => (await s.store.rooms.unread(b.userId))[0]?.unread === 0, { what: 'the ACK read marker' })
  c.close()
  other.close()
})

test('presence: join and leave events on .presence, lookups count live sessions', { skip }, async () => {
  const s = stack as EdgeStack
  const [a, b] = [await s.user(), await s.user()]
  const room = await s.room(a, b)
  const watcher = await RawStompClient.connect(s.wsUrl, a.token)
  await subscribe(watcher, 'p', `${roomTopic(room)}.presence`)
  const cb = await RawStompClient.connect(s.wsUrl, b.token)
  await subscribe(cb, 'r', roomTopic(room))
  const presence = `${roomTopic(room)}.presence`
  const [join] = await watcher.waitForMessages(presence, 1)
  assert.deepEqual({ ...frameJson<Record<string, unknown>>(join as never), at: undefined }, { type: 'join', roomId: room, userId: b.userId, username: b.username, sessions: 1, at: undefined })
  assert.deepEqual(await s.presence.roomOnline(room), [{ userId: b.userId, username: b.username, sessions: 1 }])
  assert.equal((await s.presence.userStatus(b.userId)).online, true)
  cb.close()
  const events = await watcher.waitForMessages(presence, 2)
  const leave = frameJson<{ type: string, userId: string, sessions: number }>(events[1] as never)
  assert.equal(leave.type, 'leave')
  assert.equal(leave.userId, b.userId)
  assert.equal(leave.sessions, 0)
  await waitFor(async () => (await s.presence.roomOnline(room)).length === 0, { what: 'presence cleared' })
  const status = await s.presence.userStatus(b.userId)
  assert.equal(status.online, false)
  assert.ok(status.lastSeenAt !== null && status.lastSeenAt > Date.now() - 10_000)
  // The disconnect recorded last seen in PostgreSQL too.
  await waitFor(async () => (await s.store.users.getLastSeen(b.userId)) !== undefined, { what: 'last seen stored' })
  watcher.close()
})
