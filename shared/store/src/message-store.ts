import { isUuid } from '@chat/schemas'
import type { ChatMessage, InboundMessage } from '@chat/schemas'
import type { MessagePage, MessageStore, PersistResult } from './ports.js'
import type { SqlClient, SqlQueryable } from './sql-client.js'
import type { StoreGuard } from './store-errors.js'

// Every statement here is constant text with $n parameters, prepared once per connection (see sql-client.ts).
// Arrays travel as one parameter each and are expanded server-side with unnest(): one statement for a whole batch.
// Seq parameters are compared as int8 so that any JS integer a caller passes compares instead of overflowing int4.

/** The columns of a ChatMessage; sent_at formatted here so both drivers return the same string. */
const MESSAGE_COLUMNS = `id, room_id AS "roomId", seq, sender_id AS "senderId", sender_name AS "senderName", type,
  content, client_msg_id AS "clientMsgId",
  to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "sentAt"`

// (1) Lock the counters of the batch's rooms, in id order so that two batches over the same rooms cannot deadlock.
// A room missing from the answer does not exist.
const LOCK_ROOMS = 'SELECT id, last_seq AS "lastSeq" FROM rooms WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE'

// (2) Messages of the batch already stored, found through the idempotency key's unique index. Run after (1): under
// READ COMMITTED this statement's snapshot includes whatever the previous holder of the room locks committed.
// One index probe per key (LATERAL … LIMIT 1 keeps it a nested loop): a plain join lets the planner pick a hash join
// over a sequential scan of messages, whose cost grows with the table (measured: 10 ms at 50,000 rows).
const FIND_STORED = `SELECT s.*
  FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(room_id, sender_id, client_msg_id)
  CROSS JOIN LATERAL (
    SELECT ${MESSAGE_COLUMNS} FROM messages m
    WHERE m.room_id = k.room_id AND m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id
    LIMIT 1
  ) s`

// (4) + (5) + (6) in one statement: insert the new rows, advance the counters, move each sender's read marker up to
// its own newest message (a sender who is not a member matches no row). The three touch different tables, so
// running them as data-modifying CTEs of one statement is the same as three statements, minus two round trips.
const WRITE_BATCH = `WITH inserted AS (
    INSERT INTO messages (id, room_id, seq, sender_id, sender_name, type, content, client_msg_id, sent_at)
    SELECT id, room_id, seq, sender_id, sender_name, type, content, client_msg_id, sent_at::timestamptz
    FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[]) AS v(id, room_id, seq, sender_id, sender_name, type, content, client_msg_id, sent_at)
  ), counters AS (
    UPDATE rooms r SET last_seq = c.last_seq
    FROM unnest($10::uuid[], $11::int4[]) AS c(id, last_seq)
    WHERE r.id = c.id
  ), markers AS (
    UPDATE room_members rm SET last_read_seq = GREATEST(rm.last_read_seq, mk.seq)
    FROM unnest($12::uuid[], $13::uuid[], $14::int4[]) AS mk(room_id, user_id, seq)
    WHERE rm.room_id = mk.room_id AND rm.user_id = mk.user_id
  )
  SELECT 1`

// Scroll-back: every query is a range scan of the primary key (room_id, seq), fetching one row more than asked to
// learn whether more exist. Descending scans are reversed in JS so pages are always ascending.
const PAGE_LATEST = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 ORDER BY seq DESC LIMIT $2`
const PAGE_BEFORE = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND seq < $2::int8
  ORDER BY seq DESC LIMIT $3`
const PAGE_AFTER = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2::int8
  ORDER BY seq LIMIT $3`
const PAGE_BETWEEN = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2::int8 AND seq < $3::int8
  ORDER BY seq LIMIT $4`
const SINCE = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2::int8
  ORDER BY seq DESC LIMIT $3`
const RANGE = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2::int8 AND seq < $3::int8
  ORDER BY seq`
const LAST_SEQ = 'SELECT last_seq AS "lastSeq" FROM rooms WHERE id = $1'

type MessageRow = ChatMessage

function toMessage (r: MessageRow): ChatMessage {
  return {
    id: r.id,
    roomId: r.roomId,
    seq: r.seq,
    senderId: r.senderId,
    senderName: r.senderName,
    type: r.type,
    content: r.content,
    clientMsgId: r.clientMsgId,
    sentAt: r.sentAt,
  }
}

function assertSeq (what: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer`)
}

function assertLimit (limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer')
}

/**
 * The envelope in the form it is stored and returned: ids in lower case (PostgreSQL prints uuids so, and the batch's
 * bookkeeping compares them as strings), sentAt as milliseconds-precision ISO-8601 UTC (ChatMessage's form).
 */
function normalize (m: InboundMessage): InboundMessage {
  const t = Date.parse(m.sentAt)
  if (Number.isNaN(t)) throw new RangeError(`sentAt of message ${m.id} is not an ISO-8601 date-time`)
  // PostgreSQL text cannot hold U+0000 (22021): say so before the whole batch fails on it in the database.
  if (m.content.includes('\u0000') || m.senderName.includes('\u0000') || m.clientMsgId.includes('\u0000')) {
    throw new RangeError(`message ${m.id} contains U+0000, which PostgreSQL text cannot store`)
  }
  return {
    ...m,
    id: m.id.toLowerCase(),
    roomId: m.roomId.toLowerCase(),
    senderId: m.senderId.toLowerCase(),
    sentAt: new Date(t).toISOString(),
  }
}

/** The idempotency key as one string; unambiguous because both ids are fixed-length UUIDs. */
function keyOf (roomId: string, senderId: string, clientMsgId: string): string {
  return `${roomId} ${senderId} ${clientMsgId}`
}

/** MessageStore over PostgreSQL (a postgres.js pool or PGlite). */
export class PostgresMessageStore implements MessageStore {
  readonly #sql: SqlClient
  readonly #guard: StoreGuard
  readonly #replica: SqlQueryable | undefined

  /** `replica`: a streaming replica of `sql` for scroll-back (see `page`). */
  constructor (sql: SqlClient, guard: StoreGuard, replica?: SqlQueryable) {
    this.#replica = replica
    this.#sql = sql
    this.#guard = guard
  }

  async persistBatch (input: readonly InboundMessage[]): Promise<readonly PersistResult[]> {
    if (input.length === 0) return []
    // Before touching the database: a message PostgreSQL would refuse fails the call with nothing done.
    const batch = input.map(normalize)
    const roomIds = [...new Set(batch.map((m) => m.roomId).filter(isUuid))]
    return await this.#guard.run(() => this.#sql.transaction(async (tx) => {
      // (1)
      const locked = roomIds.length === 0 ? [] : await tx.query<{ id: string, lastSeq: number }>(LOCK_ROOMS, [roomIds])
      const lockedSeqs = new Map(locked.map((r) => [r.id, r.lastSeq]))
      const lastSeqs = new Map(lockedSeqs)

      // (2)
      const stored = new Map<string, ChatMessage>()
      const keyRooms: string[] = []
      const keySenders: string[] = []
      const keyClientIds: string[] = []
      const seen = new Set<string>()
      for (const m of batch) {
        const key = keyOf(m.roomId, m.senderId, m.clientMsgId)
        if (!lastSeqs.has(m.roomId) || seen.has(key)) continue
        seen.add(key)
        keyRooms.push(m.roomId)
        keySenders.push(m.senderId)
        keyClientIds.push(m.clientMsgId)
      }
      if (keyRooms.length > 0) {
        for (const r of await tx.query<MessageRow>(FIND_STORED, [keyRooms, keySenders, keyClientIds])) {
          stored.set(keyOf(r.roomId, r.senderId, r.clientMsgId), toMessage(r))
        }
      }

      // (3) Seqs in input order per room; a key seen earlier (stored before, or earlier in this batch) is a duplicate.
      const results: PersistResult[] = []
      const ins = {
        id: [] as string[],
        roomId: [] as string[],
        seq: [] as number[],
        senderId: [] as string[],
        senderName: [] as string[],
        type: [] as string[],
        content: [] as string[],
        clientMsgId: [] as string[],
        sentAt: [] as string[],
      }
      const markers = new Map<string, { roomId: string, userId: string, seq: number }>()
      for (const m of batch) {
        const last = lastSeqs.get(m.roomId)
        if (last === undefined) {
          results.push({ status: 'failed', reason: 'room-not-found' })
          continue
        }
        const key = keyOf(m.roomId, m.senderId, m.clientMsgId)
        const previous = stored.get(key)
        if (previous !== undefined) {
          results.push({ status: 'stored', message: previous, duplicate: true })
          continue
        }
        const seq = last + 1
        lastSeqs.set(m.roomId, seq)
        const message: ChatMessage = {
          id: m.id,
          roomId: m.roomId,
          seq,
          senderId: m.senderId,
          senderName: m.senderName,
          type: m.type,
          content: m.content,
          clientMsgId: m.clientMsgId,
          sentAt: m.sentAt,
        }
        stored.set(key, message)
        results.push({ status: 'stored', message, duplicate: false })
        ins.id.push(message.id)
        ins.roomId.push(message.roomId)
        ins.seq.push(seq)
        ins.senderId.push(message.senderId)
        ins.senderName.push(message.senderName)
        ins.type.push(message.type)
        ins.content.push(message.content)
        ins.clientMsgId.push(message.clientMsgId)
        ins.sentAt.push(message.sentAt)
        // Seqs only grow within a room, so the last one seen per (room, sender) is its newest.
        markers.set(`${m.roomId} ${m.senderId}`, { roomId: m.roomId, userId: m.senderId, seq })
      }

      // (4) (5) (6)
      if (ins.id.length > 0) {
        const counters = [...lastSeqs].filter(([id, seq]) => seq !== lockedSeqs.get(id))
        const marks = [...markers.values()]
        await tx.query(WRITE_BATCH, [
          ins.id, ins.roomId, ins.seq, ins.senderId, ins.senderName, ins.type, ins.content, ins.clientMsgId, ins.sentAt,
          counters.map(([id]) => id), counters.map(([, seq]) => seq),
          marks.map((k) => k.roomId), marks.map((k) => k.userId), marks.map((k) => k.seq),
        ])
      }
      return results
    }))
  }

  async page (roomId: string, query: { readonly before?: number, readonly after?: number, readonly limit: number }): Promise<MessagePage> {
    const { before, after, limit } = query
    assertLimit(limit)
    if (before !== undefined) assertSeq('before', before)
    if (after !== undefined) assertSeq('after', after)
    if (!isUuid(roomId)) return { messages: [], hasMore: false }
    return await this.#guard.run(async () => {
      const sql = await this.#readerOf(roomId)
      if (after !== undefined) {
        const rows = before === undefined
          ? await sql.query<MessageRow>(PAGE_AFTER, [roomId, after, limit + 1])
          : await sql.query<MessageRow>(PAGE_BETWEEN, [roomId, after, before, limit + 1])
        return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit }
      }
      const rows = before === undefined
        ? await sql.query<MessageRow>(PAGE_LATEST, [roomId, limit + 1])
        : await sql.query<MessageRow>(PAGE_BEFORE, [roomId, before, limit + 1])
      return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore: rows.length > limit }
    })
  }

  async since (roomId: string, afterSeq: number, limit: number): Promise<{ readonly messages: readonly ChatMessage[], readonly complete: boolean }> {
    assertSeq('afterSeq', afterSeq)
    assertLimit(limit)
    if (!isUuid(roomId)) return { messages: [], complete: true }
    return await this.#guard.run(async () => {
      const rows = await this.#sql.query<MessageRow>(SINCE, [roomId, afterSeq, limit + 1])
      return { messages: rows.slice(0, limit).reverse().map(toMessage), complete: rows.length <= limit }
    })
  }

  async range (roomId: string, afterSeq: number, beforeSeq: number): Promise<readonly ChatMessage[]> {
    assertSeq('afterSeq', afterSeq)
    assertSeq('beforeSeq', beforeSeq)
    if (!isUuid(roomId) || beforeSeq - afterSeq <= 1) return []
    return await this.#guard.run(async () => {
      return (await this.#sql.query<MessageRow>(RANGE, [roomId, afterSeq, beforeSeq])).map(toMessage)
    })
  }

  async lastSeq (roomId: string): Promise<number | undefined> {
    if (!isUuid(roomId)) return undefined
    return await this.#guard.run(async () => {
      const rows = await this.#sql.query<{ lastSeq: number }>(LAST_SEQ, [roomId])
      return rows[0]?.lastSeq
    })
  }

  /**
   * Where a read of one room goes: the replica when it has replayed the room up to the primary's `last_seq` at the
   * start of the call, else the primary. Every write to a room (a message, and the events that change earlier
   * messages) advances `rooms.last_seq` in the same transaction, so the replica's answer then holds everything the
   * primary had committed in the room, the caller's own writes included: read-your-writes at the cost of one
   * primary-key lookup on the primary. A replica that lags or does not answer costs a fallback, never an error.
   */
  async #readerOf (roomId: string): Promise<SqlQueryable> {
    const replica = this.#replica
    if (replica === undefined) return this.#sql
    const [primary] = await this.#sql.query<{ lastSeq: number }>(LAST_SEQ, [roomId])
    if (primary === undefined) return this.#sql
    try {
      const [copy] = await replica.query<{ lastSeq: number }>(LAST_SEQ, [roomId])
      if (copy !== undefined && Number(copy.lastSeq) >= Number(primary.lastSeq)) return replica
    } catch {
      // The replica is down or restarting: the primary answers.
    }
    return this.#sql
  }
}
