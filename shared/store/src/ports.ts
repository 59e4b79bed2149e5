import type { ChatMessage, InboundMessage, RoomListItem, UnreadItem, Visibility } from '@chat/schemas'

/** What `persistBatch` did with one inbound message, in input order. */
export type PersistResult =
  | { readonly status: 'stored', readonly message: ChatMessage, readonly duplicate: boolean }
  | { readonly status: 'failed', readonly reason: 'room-not-found' }

export interface MessagePage {
  readonly messages: readonly ChatMessage[]
  readonly hasMore: boolean
}

/**
 * Messages of one room, ordered by `seq`. Safe for concurrent use from many processes.
 * Every method rejects with `StoreUnavailableError` when the database is unreachable or the call lost a conflict
 * (nothing committed; retry later), and with `StoreError` STORE_ERR_CLOSED after `ChatStore.close()`.
 * A room id that is not a UUID is treated as a room that does not exist.
 */
export interface MessageStore {
  /**
   * Stores a batch in ONE transaction. For each room in the batch it locks the room's counter row
   * (`rooms.last_seq`, rooms locked in id order so concurrent batches cannot deadlock), gives each new
   * message the next `seq` in input order, inserts all new rows in one statement and advances the
   * counters. Idempotent on `(roomId, senderId, clientMsgId)`: a message already stored (or repeated
   * within the batch) is not inserted again and its result is the stored message with `duplicate: true`.
   * The sender's read marker moves up to its own message (own messages never count as unread).
   * A message whose room does not exist fails alone (`room-not-found`); the rest are stored.
   * Results are in input order. `sentAt` is stored as given, to the millisecond, and returned as ISO-8601 UTC with
   * milliseconds (`2024-05-01T12:00:00.123Z`). Expects decoded envelopes (decodeInboundMessage): a `sentAt` that is
   * not a date, or text containing U+0000 (PostgreSQL text cannot hold it), rejects the whole call with RangeError
   * before anything is done.
   * Throws `StoreUnavailableError` for connection loss and conflicts: then nothing was committed (or, when the
   * connection dropped during COMMIT, all of it was: the retry finds the messages and returns them with
   * `duplicate: true`, so a caller that publishes stored messages should publish duplicates too).
   */
  persistBatch (messages: readonly InboundMessage[]): Promise<readonly PersistResult[]>

  /**
   * A page of scroll-back by keyset on `(room_id, seq)`: with `before`, the `limit` messages just below it;
   * with `after`, the `limit` messages just above it; with neither, the latest `limit`. Always ascending.
   * With both, the first `limit` messages between them (`after < seq < before`), travelling up.
   * `hasMore` says whether more exist beyond the page in the direction of travel (older for `before` and for
   * neither, newer for `after`). A missing room gives an empty page. `limit` must be a positive integer (RangeError).
   */
  page (roomId: string, query: { readonly before?: number, readonly after?: number, readonly limit: number }): Promise<MessagePage>

  /**
   * Messages with `seq > afterSeq`, ascending. When more than `limit` exist, returns the LATEST `limit`
   * of them and `complete: false` (the client pages the older ones over REST). A missing room: empty, complete.
   */
  since (roomId: string, afterSeq: number, limit: number): Promise<{ readonly messages: readonly ChatMessage[], readonly complete: boolean }>

  /**
   * Messages with `afterSeq < seq < beforeSeq`, ascending (an edge filling a gap). Unbounded: callers keep the gap
   * small (or use `since`/`page`, which take a limit).
   */
  range (roomId: string, afterSeq: number, beforeSeq: number): Promise<readonly ChatMessage[]>

  /** The room's last assigned `seq` (0 for an empty room), or undefined when the room does not exist. */
  lastSeq (roomId: string): Promise<number | undefined>
}

export interface RoomRecord {
  readonly id: string
  readonly name: string
  readonly visibility: Visibility
  readonly createdAt: string
  readonly lastSeq: number
}

/**
 * Rooms, members, read markers. Errors as for MessageStore. Lists are ordered by room name, then id.
 * Ids that are not UUIDs match nothing (a room that does not exist, a user who is in no room).
 */
export interface RoomStore {
  /** Creates a room; the creator is its first member with read marker 0. The creator must be an existing user. */
  createRoom (input: { readonly creatorId: string, readonly name: string, readonly visibility: Visibility }): Promise<RoomRecord>
  getRoom (roomId: string): Promise<RoomRecord | undefined>
  /** The user's rooms with `lastSeq` and `unread` (= last_seq - last_read_seq, O(1) per room), `member: true`. */
  listMine (userId: string): Promise<readonly RoomListItem[]>
  /** Every public room, with `member` telling whether the user is in it (`unread` 0 where not a member). */
  listPublic (userId: string): Promise<readonly RoomListItem[]>
  isMember (roomId: string, userId: string): Promise<boolean>
  /**
   * Adds a member whose read marker starts at the room's current `last_seq`.
   * `added` or `already-member`; `room-not-found` when the room does not exist.
   * The user must exist (a foreign key violation is thrown as is otherwise: check with UserStore first; a userId
   * that is not a UUID is a TypeError).
   */
  addMember (roomId: string, userId: string): Promise<'added' | 'already-member' | 'room-not-found'>
  /** Removes a member. `false` when they were not one. */
  removeMember (roomId: string, userId: string): Promise<boolean>
  /**
   * Moves the read marker up to `seq` (clamped to the room's `last_seq`); never moves it back.
   * Returns the marker and the unread count after the call, or undefined when not a member.
   * `seq` must be an integer (RangeError).
   */
  markRead (roomId: string, userId: string, seq: number): Promise<{ readonly lastReadSeq: number, readonly unread: number } | undefined>
  /** Unread counts of every room of the user, zeros included, ordered by room id. */
  unread (userId: string): Promise<readonly UnreadItem[]>
  /**
   * Records on disconnect the last `seq` delivered to the user per room (never moves back). Rooms the user is not a
   * member of, and seqs below 1, are ignored; a room listed twice counts with its highest seq.
   */
  recordDelivered (userId: string, delivered: readonly { readonly roomId: string, readonly seq: number }[]): Promise<void>
}

export interface UserRecord {
  readonly id: string
  readonly username: string
  readonly createdAt: string
}

export interface DeviceRecord {
  readonly id: string
  readonly userId: string
  /** The client's own name for the device (the `deviceId` of login). */
  readonly deviceKey: string
  /** Access tokens carry it as `ver`; bumping it revokes every token of the device. */
  readonly tokenVersion: number
}

export type RotateResult =
  | { readonly status: 'rotated', readonly device: DeviceRecord, readonly familyId: string }
  /** A spent token was presented again: its family is revoked and the device's version was bumped to `device.tokenVersion`. */
  | { readonly status: 'reused', readonly device: DeviceRecord }
  /** Unknown, expired, or of a revoked family. */
  | { readonly status: 'invalid' }

/** Users, devices and refresh tokens. Refresh tokens are stored only as hashes. Errors as for MessageStore. */
export interface UserStore {
  /** Creates a user, username stored as given; `taken` when the username exists (case-insensitive). */
  createUser (username: string, passwordHash: string): Promise<UserRecord | 'taken'>
  /** The user and its password hash (case-insensitive username). */
  findCredentials (username: string): Promise<{ readonly user: UserRecord, readonly passwordHash: string } | undefined>
  getUser (userId: string): Promise<UserRecord | undefined>
  getUserByName (username: string): Promise<UserRecord | undefined>
  /** The user's device with this key, created (version 1) when new. The user must exist. */
  upsertDevice (userId: string, deviceKey: string): Promise<DeviceRecord>
  getDevice (deviceId: string): Promise<DeviceRecord | undefined>
  /** Starts a new refresh-token family for the device with its first token. The device must exist. */
  createRefreshFamily (deviceId: string, tokenHash: string, expiresAt: Date): Promise<{ readonly familyId: string }>
  /**
   * Spends `oldHash` and stores `newHash` in the same family, atomically: of two concurrent calls with the
   * same token exactly one rotates. Presenting a spent token revokes its family and bumps the device's
   * token version (RFC 9700 section 4.14.2). Checked in this order: unknown token, revoked family or expired token
   * (by the database clock) → `invalid`; spent → `reused`; else `rotated` (with the device's current version).
   * There is no grace period: a client that sends the same refresh twice (a retry) revokes its own family.
   */
  rotateRefreshToken (oldHash: string, newHash: string, expiresAt: Date): Promise<RotateResult>
  /**
   * Logout: revokes every family of the device and bumps its token version, in one transaction; returns the new
   * version (0 when the device does not exist).
   */
  revokeDevice (deviceId: string): Promise<number>
  /** Records when the user was last connected; never moves back (disconnects may be reported out of order). */
  recordLastSeen (userId: string, at: Date): Promise<void>
  /** Undefined when the user was never seen or does not exist. */
  getLastSeen (userId: string): Promise<Date | undefined>
}

/** The three stores over one database handle, plus its lifecycle. */
export interface ChatStore {
  readonly messages: MessageStore
  readonly rooms: RoomStore
  readonly users: UserStore
  /** True when a trivial query answers (for readiness). Never throws. */
  ping (): Promise<boolean>
  /**
   * Closes the connection pool / database (queries in flight get a moment to finish). Idempotent. Afterwards every
   * call rejects with `StoreError` STORE_ERR_CLOSED and `ping()` is false.
   */
  close (): Promise<void>
}
