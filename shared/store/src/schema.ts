import { sql } from 'drizzle-orm'
import {
  check, index, integer, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core'

// The single source of the database's shape. `npm run db:generate -w @chat/store` turns a change here into a new
// SQL file in migrations/ (checked in); migrate() applies those files and nothing else ever creates a table.
//
// Timestamps are `timestamptz`; drizzle hands them out as Date. Sequence numbers are `integer`: they travel as JSON
// numbers, and a room will not reach 2^31 messages.

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  /** Stored as given; unique and looked up case-insensitively through `users_username_lower_key`. */
  username: text('username').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('users_username_lower_key').using('btree', sql`lower(${t.username})`),
])

export const devices = pgTable('devices', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** The client's own name for the device (`deviceId` at login). */
  deviceKey: text('device_key').notNull(),
  /** Access tokens carry it as `ver`; bumping it revokes every token of the device. */
  tokenVersion: integer('token_version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  // Also serves the foreign key's cascade from users (user_id is its leading column).
  unique('devices_user_id_device_key_key').on(t.userId, t.deviceKey),
])

export const refreshFamilies = pgTable('refresh_families', {
  id: uuid('id').primaryKey(),
  deviceId: uuid('device_id').notNull().references(() => devices.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [
  // revokeDevice() finds a device's families by it, and so does the cascade from devices.
  index('refresh_families_device_id_idx').on(t.deviceId),
])

export const refreshTokens = pgTable('refresh_tokens', {
  /** A hash of the token; the token itself is never stored. */
  tokenHash: text('token_hash').primaryKey(),
  familyId: uuid('family_id').notNull().references(() => refreshFamilies.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  spentAt: timestamp('spent_at', { withTimezone: true }),
}, (t) => [
  index('refresh_tokens_family_id_idx').on(t.familyId),
])

export const rooms = pgTable('rooms', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  visibility: text('visibility', { enum: ['public', 'private'] }).notNull(),
  createdBy: uuid('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** The room's last assigned message seq; persistBatch locks this row to hand out the next ones. */
  lastSeq: integer('last_seq').notNull().default(0),
}, (t) => [
  check('rooms_visibility_check', sql`${t.visibility} IN ('public', 'private')`),
  // listPublic() walks this in order; private rooms are not in it at all.
  index('rooms_public_name_idx').on(t.name, t.id).where(sql`${t.visibility} = 'public'`),
])

export const roomMembers = pgTable('room_members', {
  roomId: uuid('room_id').notNull().references(() => rooms.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  /** Unread = rooms.last_seq - last_read_seq: O(1), never a count over messages. */
  lastReadSeq: integer('last_read_seq').notNull().default(0),
  /** The last seq delivered to the user, recorded on disconnect. */
  lastDeliveredSeq: integer('last_delivered_seq').notNull().default(0),
}, (t) => [
  primaryKey({ name: 'room_members_pkey', columns: [t.roomId, t.userId] }),
  index('room_members_user_id_idx').on(t.userId),
])

export const messages = pgTable('messages', {
  /** UUIDv7 chosen by the publisher. A resend that finds the message stored keeps the first id. */
  id: uuid('id').notNull(),
  roomId: uuid('room_id').notNull(),
  seq: integer('seq').notNull(),
  senderId: uuid('sender_id').notNull(),
  senderName: text('sender_name').notNull(),
  type: text('type', { enum: ['TALK', 'ENTER', 'LEAVE'] }).notNull(),
  content: text('content').notNull(),
  clientMsgId: text('client_msg_id').notNull(),
  sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
}, (t) => [
  // Exactly two indexes, both needed for correctness, and no foreign key: every index and every FK check costs on
  // the hot insert path, and the writer holds the room row locked (FOR UPDATE) anyway, so the room cannot vanish
  // under it. Deleting a room leaves its messages behind (a cleanup job's business, not the insert path's).
  // The primary key is also the keyset index every scroll-back (page, since, range) walks.
  primaryKey({ name: 'messages_pkey', columns: [t.roomId, t.seq] }),
  // The idempotency key: a redelivered or resent message is found here and never stored twice.
  unique('messages_idempotency_key').on(t.roomId, t.senderId, t.clientMsgId),
  check('messages_type_check', sql`${t.type} IN ('TALK', 'ENTER', 'LEAVE')`),
])

export type UserRow = typeof users.$inferSelect
export type DeviceRow = typeof devices.$inferSelect
export type RefreshFamilyRow = typeof refreshFamilies.$inferSelect
export type RefreshTokenRow = typeof refreshTokens.$inferSelect
export type RoomRow = typeof rooms.$inferSelect
export type RoomMemberRow = typeof roomMembers.$inferSelect
export type MessageRow = typeof messages.$inferSelect
