import { and, eq } from 'drizzle-orm'
import { isUuid, newId } from '@chat/schemas'
import type { RoomListItem, UnreadItem, Visibility } from '@chat/schemas'
import { roomMembers, rooms } from './schema.js'
import type { RoomRow } from './schema.js'
import type { ChatDb } from './database.js'
import type { RoomRecord, RoomStore } from './ports.js'
import type { SqlClient } from './sql-client.js'
import type { StoreGuard } from './store-errors.js'

// Rare writes (create, remove) use drizzle's query builder; what a client does often (list, unread, membership
// checks on every SUBSCRIBE and SEND, read markers) is constant SQL prepared once per connection.

// Unread is last_seq - last_read_seq (O(1) per room). GREATEST guards against a marker above the counter, which
// markRead never writes but a hand-edited row could hold.
const LIST_MINE = `SELECT r.id, r.name, r.visibility, r.last_seq AS "lastSeq",
    GREATEST(r.last_seq - m.last_read_seq, 0) AS unread, true AS member
  FROM room_members m JOIN rooms r ON r.id = m.room_id
  WHERE m.user_id = $1
  ORDER BY r.name, r.id`

const LIST_PUBLIC = `SELECT r.id, r.name, r.visibility, r.last_seq AS "lastSeq",
    COALESCE(GREATEST(r.last_seq - m.last_read_seq, 0), 0) AS unread, m.user_id IS NOT NULL AS member
  FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = $1
  WHERE r.visibility = 'public'
  ORDER BY r.name, r.id`

const IS_MEMBER = 'SELECT EXISTS (SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2) AS "isMember"'

// One statement: the room's counter read and the membership insert see the same snapshot.
const ADD_MEMBER = `WITH room AS (
    SELECT id, last_seq FROM rooms WHERE id = $1
  ), added AS (
    INSERT INTO room_members (room_id, user_id, last_read_seq, last_delivered_seq)
    SELECT id, $2::uuid, last_seq, last_seq FROM room
    ON CONFLICT (room_id, user_id) DO NOTHING
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM room) AS "roomExists", EXISTS (SELECT 1 FROM added) AS added`

// LEAST clamps to the counter, GREATEST keeps the marker from moving back; RETURNING sees the new marker.
const MARK_READ = `UPDATE room_members m
  SET last_read_seq = GREATEST(m.last_read_seq, LEAST($3::int8, r.last_seq))
  FROM rooms r
  WHERE m.room_id = $1 AND m.user_id = $2 AND r.id = m.room_id
  RETURNING m.last_read_seq AS "lastReadSeq", GREATEST(r.last_seq - m.last_read_seq, 0) AS unread`

const UNREAD = `SELECT m.room_id AS "roomId", GREATEST(r.last_seq - m.last_read_seq, 0) AS unread
  FROM room_members m JOIN rooms r ON r.id = m.room_id
  WHERE m.user_id = $1
  ORDER BY m.room_id`

// One row per room (max seq), so that UPDATE … FROM never meets two source rows for one target.
const RECORD_DELIVERED = `UPDATE room_members m
  SET last_delivered_seq = GREATEST(m.last_delivered_seq, d.seq)
  FROM (
    SELECT room_id, max(seq) AS seq FROM unnest($2::uuid[], $3::int4[]) AS t(room_id, seq) GROUP BY room_id
  ) d
  WHERE m.user_id = $1 AND m.room_id = d.room_id`

const INT4_MAX = 2_147_483_647

function toRoomRecord (r: RoomRow): RoomRecord {
  return { id: r.id, name: r.name, visibility: r.visibility, createdAt: r.createdAt.toISOString(), lastSeq: r.lastSeq }
}

function toListItem (r: RoomListItem): RoomListItem {
  return { id: r.id, name: r.name, visibility: r.visibility, lastSeq: r.lastSeq, unread: r.unread, member: r.member }
}

/** RoomStore over PostgreSQL (a postgres.js pool or PGlite). */
export class PostgresRoomStore implements RoomStore {
  readonly #db: ChatDb
  readonly #sql: SqlClient
  readonly #guard: StoreGuard

  constructor (db: ChatDb, sql: SqlClient, guard: StoreGuard) {
    this.#db = db
    this.#sql = sql
    this.#guard = guard
  }

  async createRoom (input: { readonly creatorId: string, readonly name: string, readonly visibility: Visibility }): Promise<RoomRecord> {
    return await this.#guard.run(() => this.#db.transaction(async (tx) => {
      const [room] = await tx.insert(rooms)
        .values({ id: newId(), name: input.name, visibility: input.visibility, createdBy: input.creatorId })
        .returning()
      if (room === undefined) throw new Error('INSERT … RETURNING returned no row')
      await tx.insert(roomMembers).values({ roomId: room.id, userId: input.creatorId })
      return toRoomRecord(room)
    }))
  }

  async getRoom (roomId: string): Promise<RoomRecord | undefined> {
    if (!isUuid(roomId)) return undefined
    return await this.#guard.run(async () => {
      const [room] = await this.#db.select().from(rooms).where(eq(rooms.id, roomId))
      return room === undefined ? undefined : toRoomRecord(room)
    })
  }

  async listMine (userId: string): Promise<readonly RoomListItem[]> {
    if (!isUuid(userId)) return []
    return await this.#guard.run(async () => (await this.#sql.query<RoomListItem>(LIST_MINE, [userId])).map(toListItem))
  }

  async listPublic (userId: string): Promise<readonly RoomListItem[]> {
    // An id that cannot be a user is a member of nothing; the list is still every public room.
    const asUser = isUuid(userId) ? userId : null
    return await this.#guard.run(async () => (await this.#sql.query<RoomListItem>(LIST_PUBLIC, [asUser])).map(toListItem))
  }

  async isMember (roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false
    return await this.#guard.run(async () => {
      const [row] = await this.#sql.query<{ isMember: boolean }>(IS_MEMBER, [roomId, userId])
      return row?.isMember === true
    })
  }

  async addMember (roomId: string, userId: string): Promise<'added' | 'already-member' | 'room-not-found'> {
    if (!isUuid(userId)) throw new TypeError('userId must be a UUID')
    if (!isUuid(roomId)) return 'room-not-found'
    return await this.#guard.run(async () => {
      const [row] = await this.#sql.query<{ roomExists: boolean, added: boolean }>(ADD_MEMBER, [roomId, userId])
      if (row?.roomExists !== true) return 'room-not-found'
      return row.added ? 'added' : 'already-member'
    })
  }

  async removeMember (roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false
    return await this.#guard.run(async () => {
      const removed = await this.#db.delete(roomMembers)
        .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
        .returning({ roomId: roomMembers.roomId })
      return removed.length > 0
    })
  }

  async markRead (roomId: string, userId: string, seq: number): Promise<{ readonly lastReadSeq: number, readonly unread: number } | undefined> {
    if (!Number.isSafeInteger(seq)) throw new RangeError('seq must be an integer')
    if (!isUuid(roomId) || !isUuid(userId)) return undefined
    return await this.#guard.run(async () => {
      const [row] = await this.#sql.query<{ lastReadSeq: number, unread: number }>(MARK_READ, [roomId, userId, seq])
      return row === undefined ? undefined : { lastReadSeq: row.lastReadSeq, unread: row.unread }
    })
  }

  async unread (userId: string): Promise<readonly UnreadItem[]> {
    if (!isUuid(userId)) return []
    return await this.#guard.run(async () => {
      const rows = await this.#sql.query<UnreadItem>(UNREAD, [userId])
      return rows.map((r) => ({ roomId: r.roomId, unread: r.unread }))
    })
  }

  async recordDelivered (userId: string, delivered: readonly { readonly roomId: string, readonly seq: number }[]): Promise<void> {
    const valid = delivered.filter((d) => isUuid(d.roomId) && Number.isSafeInteger(d.seq) && d.seq > 0)
    if (!isUuid(userId) || valid.length === 0) return
    await this.#guard.run(async () => {
      await this.#sql.query(RECORD_DELIVERED, [
        userId, valid.map((d) => d.roomId), valid.map((d) => Math.min(d.seq, INT4_MAX)),
      ])
    })
  }
}
