import { test } from 'node:test'
import assert from 'node:assert/strict'
import { and, eq } from 'drizzle-orm'
import { createChatStore, roomMembers } from '../src/index.js'
import { createUser, inbound, missingId } from './fixtures.js'
import type { DatabaseFactory } from './fixtures.js'

export async function roomStoreContract (name: string, factory: DatabaseFactory): Promise<void> {
  await test(`RoomStore (${name})`, async (suite) => {
    const database = await factory.open()
    const store = createChatStore(database)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    suite.after(() => store.close())

    const post = async (roomId: string, n: number, sender = alice): Promise<void> => {
      await store.messages.persistBatch(Array.from({ length: n }, () => inbound(roomId, sender)))
    }

    await suite.test('createRoom: the creator is the first member with marker 0', async () => {
      const before = Date.now()
      const room = await store.rooms.createRoom({ creatorId: alice.id, name: 'general', visibility: 'private' })
      assert.equal(room.name, 'general')
      assert.equal(room.visibility, 'private')
      assert.equal(room.lastSeq, 0)
      assert.match(room.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.ok(Date.parse(room.createdAt) >= before - 5_000)
      assert.deepEqual(await store.rooms.getRoom(room.id), room)
      assert.equal(await store.rooms.isMember(room.id, alice.id), true)
      const [member] = await database.db.select().from(roomMembers)
        .where(and(eq(roomMembers.roomId, room.id), eq(roomMembers.userId, alice.id)))
      assert.equal(member?.lastReadSeq, 0)
    })

    await suite.test('getRoom: undefined for a missing room', async () => {
      assert.equal(await store.rooms.getRoom(missingId()), undefined)
      assert.equal(await store.rooms.getRoom('nope'), undefined)
    })

    await suite.test('listMine: the user\'s rooms with lastSeq and unread, member:true', async () => {
      const carol = await createUser(store, 'carol')
      const r1 = await store.rooms.createRoom({ creatorId: carol.id, name: 'b-room', visibility: 'public' })
      const r2 = await store.rooms.createRoom({ creatorId: carol.id, name: 'a-room', visibility: 'private' })
      await store.rooms.createRoom({ creatorId: alice.id, name: 'not hers', visibility: 'public' })
      await post(r1.id, 3)
      assert.equal(await store.rooms.addMember(r1.id, alice.id), 'added')
      await post(r1.id, 2)
      assert.deepEqual(await store.rooms.listMine(carol.id), [
        { id: r2.id, name: 'a-room', visibility: 'private', lastSeq: 0, unread: 0, member: true },
        { id: r1.id, name: 'b-room', visibility: 'public', lastSeq: 5, unread: 5, member: true },
      ])
      assert.deepEqual(await store.rooms.listMine(missingId()), [])
    })

    await suite.test('listPublic: every public room with the member flag; unread 0 where not a member', async () => {
      const dave = await createUser(store, 'dave')
      const mine = await store.rooms.createRoom({ creatorId: dave.id, name: 'dave public', visibility: 'public' })
      const other = await store.rooms.createRoom({ creatorId: bob.id, name: 'bob public', visibility: 'public' })
      const hidden = await store.rooms.createRoom({ creatorId: bob.id, name: 'bob private', visibility: 'private' })
      await post(mine.id, 2, alice)
      await post(other.id, 4, bob)
      const list = await store.rooms.listPublic(dave.id)
      assert.ok(list.every((r) => r.visibility === 'public'))
      assert.equal(list.find((r) => r.id === hidden.id), undefined)
      assert.deepEqual(list.find((r) => r.id === mine.id), { id: mine.id, name: 'dave public', visibility: 'public', lastSeq: 2, unread: 2, member: true })
      assert.deepEqual(list.find((r) => r.id === other.id), { id: other.id, name: 'bob public', visibility: 'public', lastSeq: 4, unread: 0, member: false })
      const names = list.map((r) => r.name)
      assert.deepEqual(names, [...names].sort())
      assert.equal((await store.rooms.listPublic(missingId())).length, list.length)
    })

    await suite.test('isMember', async () => {
      const room = await store.rooms.createRoom({ creatorId: alice.id, name: 'x', visibility: 'public' })
      assert.equal(await store.rooms.isMember(room.id, alice.id), true)
      assert.equal(await store.rooms.isMember(room.id, bob.id), false)
      assert.equal(await store.rooms.isMember(missingId(), alice.id), false)
    })

    await suite.test('addMember: the marker starts at last_seq; already-member; room-not-found', async () => {
      const room = await store.rooms.createRoom({ creatorId: alice.id, name: 'x', visibility: 'public' })
      await post(room.id, 7)
      assert.equal(await store.rooms.addMember(room.id, bob.id), 'added')
      assert.equal(await store.rooms.addMember(room.id, bob.id), 'already-member')
      assert.equal(await store.rooms.addMember(missingId(), bob.id), 'room-not-found')
      assert.deepEqual((await store.rooms.unread(bob.id)).find((u) => u.roomId === room.id), { roomId: room.id, unread: 0 })
      await post(room.id, 2)
      assert.deepEqual((await store.rooms.unread(bob.id)).find((u) => u.roomId === room.id), { roomId: room.id, unread: 2 })
    })

    await suite.test('removeMember: true when removed, false when not a member', async () => {
      const room = await store.rooms.createRoom({ creatorId: alice.id, name: 'x', visibility: 'public' })
      await store.rooms.addMember(room.id, bob.id)
      assert.equal(await store.rooms.removeMember(room.id, bob.id), true)
      assert.equal(await store.rooms.removeMember(room.id, bob.id), false)
      assert.equal(await store.rooms.isMember(room.id, bob.id), false)
      assert.equal(await store.rooms.removeMember(missingId(), bob.id), false)
    })

    await suite.test('markRead: never moves back, clamps to last_seq, undefined for a non-member', async () => {
      const room = await store.rooms.createRoom({ creatorId: bob.id, name: 'x', visibility: 'public' })
      await store.rooms.addMember(room.id, alice.id)
      await post(room.id, 10, bob)
      assert.deepEqual(await store.rooms.markRead(room.id, alice.id, 4), { lastReadSeq: 4, unread: 6 })
      assert.deepEqual(await store.rooms.markRead(room.id, alice.id, 2), { lastReadSeq: 4, unread: 6 })
      assert.deepEqual(await store.rooms.markRead(room.id, alice.id, 1_000_000_000_000), { lastReadSeq: 10, unread: 0 })
      assert.deepEqual(await store.rooms.markRead(room.id, alice.id, 7), { lastReadSeq: 10, unread: 0 })
      const carol = await createUser(store, 'carol')
      assert.equal(await store.rooms.markRead(room.id, carol.id, 3), undefined)
      assert.equal(await store.rooms.markRead(missingId(), alice.id, 3), undefined)
    })

    await suite.test('unread: one entry per room of the user', async () => {
      const erin = await createUser(store, 'erin')
      const r1 = await store.rooms.createRoom({ creatorId: erin.id, name: 'x', visibility: 'public' })
      const r2 = await store.rooms.createRoom({ creatorId: erin.id, name: 'y', visibility: 'private' })
      await post(r1.id, 3, bob)
      await post(r2.id, 1, erin)
      const unread = await store.rooms.unread(erin.id)
      assert.deepEqual(
        [...unread].sort((a, b) => a.roomId.localeCompare(b.roomId)),
        [{ roomId: r1.id, unread: 3 }, { roomId: r2.id, unread: 0 }].sort((a, b) => a.roomId.localeCompare(b.roomId)),
      )
      assert.deepEqual(await store.rooms.unread(missingId()), [])
    })

    await suite.test('recordDelivered: records per room, never moves back', async () => {
      const room = await store.rooms.createRoom({ creatorId: alice.id, name: 'x', visibility: 'public' })
      const other = await store.rooms.createRoom({ creatorId: alice.id, name: 'y', visibility: 'public' })
      await post(room.id, 9)
      const delivered = async (roomId: string): Promise<number | undefined> => {
        const [row] = await database.db.select({ seq: roomMembers.lastDeliveredSeq }).from(roomMembers)
          .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, alice.id)))
        return row?.seq
      }
      await store.rooms.recordDelivered(alice.id, [{ roomId: room.id, seq: 5 }, { roomId: other.id, seq: 0 }, { roomId: room.id, seq: 7 }])
      assert.equal(await delivered(room.id), 7)
      await store.rooms.recordDelivered(alice.id, [{ roomId: room.id, seq: 3 }, { roomId: missingId(), seq: 3 }])
      assert.equal(await delivered(room.id), 7)
      assert.equal(await delivered(other.id), 0)
      await store.rooms.recordDelivered(alice.id, [])
    })

    await suite.test('stores SQL meta-characters in room names verbatim', async () => {
      const name = "Robert'); DROP TABLE rooms;-- \\ \"q\" 💬"
      const room = await store.rooms.createRoom({ creatorId: alice.id, name, visibility: 'public' })
      assert.equal((await store.rooms.getRoom(room.id))?.name, name)
      assert.equal((await store.rooms.listMine(alice.id)).find((r) => r.id === room.id)?.name, name)
    })
  })
}
