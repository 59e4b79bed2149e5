/** A live STOMP session as presence sees it. */
export interface PresenceSession {
  readonly sessionId: string
  readonly userId: string
  readonly username: string
  /** The edge instance holding it. */
  readonly instanceId: string
  /** Rooms whose stream the session subscribes to. */
  readonly rooms: readonly string[]
}

export interface RoomMemberOnline {
  readonly userId: string
  readonly username: string
  /** Unexpired sessions of this user in the room. */
  readonly sessions: number
}

export interface UserStatus {
  readonly online: boolean
  /** Unexpired sessions of the user. */
  readonly sessions: number
  /** Epoch ms of the user's last disconnect, or null if never recorded. */
  readonly lastSeenAt: number | null
}

/** A clock, injectable so the memory adapter's expiry is testable without sleeping. */
export interface Clock {
  now (): number
}
export const systemClock: Clock = { now: () => Date.now() }

/**
 * Who is online, per user and per room. Entries expire `ttlMs` after their last refresh, so the
 * sessions of an edge that died without cleaning up drop out on their own. Lookups count only
 * unexpired entries. Safe to use from many edge processes at once.
 */
export interface PresenceStore {
  /**
   * Marks each session online, in each of its rooms, until `ttlMs` from now. Idempotent: refreshing
   * extends the expiry. Rooms no longer listed are NOT removed (use `leaveRoom`). One round trip for the
   * whole batch on Redis.
   */
  refresh (sessions: readonly PresenceSession[]): Promise<void>
  /** Removes one session from one room. Removing an absent entry is not an error. */
  leaveRoom (sessionId: string, userId: string, roomId: string): Promise<void>
  /** Removes the session everywhere and records `at` (epoch ms) as the user's last seen time. */
  endSession (session: PresenceSession, at: number): Promise<void>
  /** Users online in the room, each with its count of unexpired sessions there. No particular order. */
  roomOnline (roomId: string): Promise<readonly RoomMemberOnline[]>
  userStatus (userId: string): Promise<UserStatus>
  /** Releases connections and timers. Later calls reject with PresenceClosedError. */
  close (): Promise<void>
}
