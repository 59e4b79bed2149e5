/** A live STOMP session as presence sees it. Ids are non-empty strings. */
export interface PresenceSession {
  /** Unique per session (not only per user). */
  readonly sessionId: string
  /** Must not contain ':' (the Redis adapter stores `{userId}:{sessionId}`); user ids are UUIDs. */
  readonly userId: string
  readonly username: string
  /** The edge instance holding it. Informational: the stores do not index by it. */
  readonly instanceId: string
  /** Rooms whose stream the session subscribes to. */
  readonly rooms: readonly string[]
}

export interface RoomMemberOnline {
  readonly userId: string
  /** The username given by the user's latest refresh. */
  readonly username: string
  /** Unexpired sessions of this user in the room. */
  readonly sessions: number
}

export interface UserStatus {
  /** True when `sessions > 0`. */
  readonly online: boolean
  /** Unexpired sessions of the user. */
  readonly sessions: number
  /** Epoch ms of the user's last disconnect (`endSession`), or null if never recorded. */
  readonly lastSeenAt: number | null
}

/** A clock, injectable so the memory adapter's expiry is testable without sleeping. */
export interface Clock {
  /** Epoch ms. */
  now (): number
}
export const systemClock: Clock = { now: () => Date.now() }

/**
 * Who is online, per user and per room. An entry refreshed at time `t` is live while `now < t + ttlMs`,
 * so the sessions of an edge that died without cleaning up drop out on their own. Lookups count only
 * live entries. Safe to use from many edge processes at once (the memory adapter: one process only).
 *
 * Ids are non-empty strings and a user id must not contain ':'; a call breaking this rejects with a
 * TypeError and writes nothing. Infrastructure failures reject with `PresenceUnavailableError` (retry
 * later; every write is idempotent) or `PresenceRejectedError` (retrying will not help).
 */
export interface PresenceStore {
  /**
   * Marks each session online, in each of its rooms, until `ttlMs` from now. Idempotent: refreshing
   * extends the expiry, and the latest username wins. Rooms no longer listed are NOT removed (use
   * `leaveRoom`). One round trip for the whole batch on Redis; an empty batch does nothing.
   */
  refresh (sessions: readonly PresenceSession[]): Promise<void>
  /** Removes one session from one room; the session stays online. Removing an absent entry is not an error. */
  leaveRoom (sessionId: string, userId: string, roomId: string): Promise<void>
  /**
   * Removes the session from its user and from every room in `session.rooms` (an entry in a room not
   * listed there lives until it expires), and records `at` (epoch ms) as the user's last seen time unless
   * a later one is already recorded: an older disconnect reported late does not move it back.
   * Ending an absent session still records `at`.
   */
  endSession (session: PresenceSession, at: number): Promise<void>
  /** Users with live sessions in the room, each with its count of them. No particular order; [] when none. */
  roomOnline (roomId: string): Promise<readonly RoomMemberOnline[]>
  /** The user's live sessions and last seen time; an unknown user is `{ online: false, sessions: 0, lastSeenAt: null }`. */
  userStatus (userId: string): Promise<UserStatus>
  /** Releases connections and timers. Idempotent. Later calls reject with PresenceClosedError. */
  close (): Promise<void>
}
