import { eq, sql } from 'drizzle-orm'
import { isUuid, newId } from '@chat/schemas'
import { devices, refreshFamilies, refreshTokens, users } from './schema.js'
import type { DeviceRow, UserRow } from './schema.js'
import type { ChatDb } from './database.js'
import type { DeviceRecord, RotateResult, UserRecord, UserStore } from './ports.js'
import type { SqlClient } from './sql-client.js'
import type { StoreGuard } from './store-errors.js'

const DEVICE_COLUMNS = 'id, user_id AS "userId", device_key AS "deviceKey", token_version AS "tokenVersion"'

// Locks the token and its family: a second rotation of the same token waits here, and once the first commits it
// reads the token again (READ COMMITTED re-checks locked rows) and finds it spent. Lock order everywhere in this file
// is token → family → device, so rotations and revokeDevice() cannot deadlock.
const FIND_TOKEN = `SELECT t.family_id AS "familyId", f.device_id AS "deviceId",
    t.spent_at IS NOT NULL AS "isSpent", t.expires_at <= now() AS "isExpired", f.revoked_at IS NOT NULL AS "isRevoked"
  FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
  WHERE t.token_hash = $1
  FOR UPDATE OF t, f`

const ROTATE = `WITH spent AS (
    UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1
  ), issued AS (
    INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($2, $3, $4::timestamptz)
  )
  SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $5`

// Reuse of a spent token: the whole family goes, and so does every access token of the device (version bump).
const REVOKE_FAMILY = `WITH revoked AS (
    UPDATE refresh_families SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
  )
  UPDATE devices SET token_version = token_version + 1 WHERE id = $2
  RETURNING ${DEVICE_COLUMNS}`

const REVOKE_FAMILIES_OF_DEVICE = 'UPDATE refresh_families SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL'
const BUMP_DEVICE = 'UPDATE devices SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version AS "tokenVersion"'

interface TokenRow {
  familyId: string
  deviceId: string
  isSpent: boolean
  isExpired: boolean
  isRevoked: boolean
}

function toUser (r: UserRow): UserRecord {
  return { id: r.id, username: r.username, createdAt: r.createdAt.toISOString() }
}

function toDevice (r: DeviceRecord | DeviceRow): DeviceRecord {
  return { id: r.id, userId: r.userId, deviceKey: r.deviceKey, tokenVersion: r.tokenVersion }
}

/** UserStore over PostgreSQL (a postgres.js pool or PGlite). */
export class PostgresUserStore implements UserStore {
  readonly #db: ChatDb
  readonly #sql: SqlClient
  readonly #guard: StoreGuard

  constructor (db: ChatDb, sqlClient: SqlClient, guard: StoreGuard) {
    this.#db = db
    this.#sql = sqlClient
    this.#guard = guard
  }

  async createUser (username: string, passwordHash: string): Promise<UserRecord | 'taken'> {
    return await this.#guard.run(async () => {
      // No conflict target: the one that can fire is the unique index on lower(username).
      const [row] = await this.#db.insert(users).values({ id: newId(), username, passwordHash })
        .onConflictDoNothing()
        .returning()
      return row === undefined ? 'taken' : toUser(row)
    })
  }

  async findCredentials (username: string): Promise<{ readonly user: UserRecord, readonly passwordHash: string } | undefined> {
    return await this.#guard.run(async () => {
      const row = await this.#byName(username)
      return row === undefined ? undefined : { user: toUser(row), passwordHash: row.passwordHash }
    })
  }

  async getUser (userId: string): Promise<UserRecord | undefined> {
    if (!isUuid(userId)) return undefined
    return await this.#guard.run(async () => {
      const [row] = await this.#db.select().from(users).where(eq(users.id, userId))
      return row === undefined ? undefined : toUser(row)
    })
  }

  async getUserByName (username: string): Promise<UserRecord | undefined> {
    return await this.#guard.run(async () => {
      const row = await this.#byName(username)
      return row === undefined ? undefined : toUser(row)
    })
  }

  async upsertDevice (userId: string, deviceKey: string): Promise<DeviceRecord> {
    if (!isUuid(userId)) throw new TypeError('userId must be a UUID')
    return await this.#guard.run(async () => {
      // DO UPDATE (to the same value) rather than DO NOTHING, so that RETURNING also yields an existing row.
      const [row] = await this.#db.insert(devices).values({ id: newId(), userId, deviceKey })
        .onConflictDoUpdate({ target: [devices.userId, devices.deviceKey], set: { deviceKey: sql`excluded.device_key` } })
        .returning()
      if (row === undefined) throw new Error('INSERT … RETURNING returned no row')
      return toDevice(row)
    })
  }

  async getDevice (deviceId: string): Promise<DeviceRecord | undefined> {
    if (!isUuid(deviceId)) return undefined
    return await this.#guard.run(async () => {
      const [row] = await this.#db.select().from(devices).where(eq(devices.id, deviceId))
      return row === undefined ? undefined : toDevice(row)
    })
  }

  async createRefreshFamily (deviceId: string, tokenHash: string, expiresAt: Date): Promise<{ readonly familyId: string }> {
    if (!isUuid(deviceId)) throw new TypeError('deviceId must be a UUID')
    return await this.#guard.run(() => this.#db.transaction(async (tx) => {
      const familyId = newId()
      await tx.insert(refreshFamilies).values({ id: familyId, deviceId })
      await tx.insert(refreshTokens).values({ tokenHash, familyId, expiresAt })
      return { familyId }
    }))
  }

  async rotateRefreshToken (oldHash: string, newHash: string, expiresAt: Date): Promise<RotateResult> {
    return await this.#guard.run(() => this.#sql.transaction(async (tx): Promise<RotateResult> => {
      const [token] = await tx.query<TokenRow>(FIND_TOKEN, [oldHash])
      if (token === undefined || token.isRevoked || token.isExpired) return { status: 'invalid' }
      if (token.isSpent) {
        const [device] = await tx.query<DeviceRecord>(REVOKE_FAMILY, [token.familyId, token.deviceId])
        return device === undefined ? { status: 'invalid' } : { status: 'reused', device: toDevice(device) }
      }
      const [device] = await tx.query<DeviceRecord>(ROTATE, [
        oldHash, newHash, token.familyId, expiresAt.toISOString(), token.deviceId,
      ])
      if (device === undefined) throw new Error('the family of a locked token has no device')
      return { status: 'rotated', device: toDevice(device), familyId: token.familyId }
    }))
  }

  async revokeDevice (deviceId: string): Promise<number> {
    if (!isUuid(deviceId)) return 0
    return await this.#guard.run(() => this.#sql.transaction(async (tx) => {
      // Families first, then the device: the lock order rotateRefreshToken uses.
      await tx.query(REVOKE_FAMILIES_OF_DEVICE, [deviceId])
      const [row] = await tx.query<{ tokenVersion: number }>(BUMP_DEVICE, [deviceId])
      return row?.tokenVersion ?? 0
    }))
  }

  async recordLastSeen (userId: string, at: Date): Promise<void> {
    if (!isUuid(userId)) return
    await this.#guard.run(async () => {
      // GREATEST (which skips NULL): disconnects reported out of order never move it back.
      await this.#db.update(users)
        .set({ lastSeenAt: sql`GREATEST(${users.lastSeenAt}, ${at.toISOString()}::timestamptz)` })
        .where(eq(users.id, userId))
    })
  }

  async getLastSeen (userId: string): Promise<Date | undefined> {
    if (!isUuid(userId)) return undefined
    return await this.#guard.run(async () => {
      const [row] = await this.#db.select({ lastSeenAt: users.lastSeenAt }).from(users).where(eq(users.id, userId))
      return row?.lastSeenAt ?? undefined
    })
  }

  async #byName (username: string): Promise<UserRow | undefined> {
    // lower(username) on both sides: the expression the unique index users_username_lower_key is built on.
    const [row] = await this.#db.select().from(users).where(sql`lower(${users.username}) = lower(${username})`)
    return row
  }
}
