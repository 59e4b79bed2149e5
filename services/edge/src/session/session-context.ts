import type { InboundMessage } from '@chat/schemas'
import type { Logger } from '@chat/observability'
import type { EdgeLimits } from '../config.js'
import type { EdgeMetrics } from '../metrics.js'
import type { VerifyResult } from '../access-verifier.js'
import type { EventSink, RoomSubscription, TopicSubscription } from './subscriptions.js'

/** The metrics a session counts itself. */
export type SessionMetrics = Pick<EdgeMetrics, 'framesIn' | 'framesOut' | 'errors' | 'sendLatency' | 'slowConsumerCloses'>

/** Who a session is, as the process sees it in lifecycle events. */
export interface SessionInfo {
  readonly id: string
  readonly userId: string
  readonly username: string
  readonly deviceId: string
  /** The rooms whose stream the session subscribes to. */
  roomIds (): string[]
}

/**
 * Everything a STOMP session may ask of the process it runs in, and nothing else: the session never sees the
 * bus, the store, presence or the other sessions, and nothing outside the session writes its state. The edge's
 * hub implements it; a unit test can implement it with fakes.
 */
export interface SessionContext {
  readonly limits: EdgeLimits
  readonly log: Logger
  readonly metrics: SessionMetrics
  /** How often `StompSession.tick` is called: heart-beats are sent up to this much early, so none is late. */
  readonly tickMs: number
  /** Epoch milliseconds. */
  now (): number

  // Decisions the session needs -----------------------------------------------------------------

  /** Whether an access token opens (or keeps open) a session. Rejects when the token state cannot be read. */
  verify (token: string): Promise<VerifyResult>
  /** Whether the user is a member of the room: synchronously when cached, else a database read. */
  isMember (roomId: string, userId: string): boolean | Promise<boolean>
  /** Takes one SEND token of the user (every session of the user, on every edge, shares the bucket). Never waits. */
  takeSendToken (userId: string): boolean
  /** Whether the edge is shutting down (no new sessions). */
  isDraining (): boolean

  // What the session does to the world -----------------------------------------------------------

  /** Publishes a chat message to the inbound exchange; resolves on the broker's confirm. */
  publish (message: InboundMessage): Promise<void>
  /** Relays a typing event to the room's typing subscribers (best effort, never stored). */
  publishTyping (roomId: string, body: string): void
  /** Moves the user's read marker (never back) now and tells the user's other sessions. */
  markRead (userId: string, roomId: string, seq: number): Promise<void>
  /** Moves the user's read marker soon: coalesced per (user, room), written at most once a second. */
  markReadLater (userId: string, roomId: string, seq: number): void

  // Streams ----------------------------------------------------------------------------------------

  /**
   * Attaches a room subscription to the room's feed (binding the room on first use) and, when it was opened with
   * `since-seq`, backfills it from the database first. Rejects with a FrameRejection when it cannot.
   */
  subscribeRoom (sub: RoomSubscription, since: number | undefined): Promise<void>
  unsubscribeRoom (sub: RoomSubscription): void
  subscribeTopic (sink: EventSink, sub: TopicSubscription): Promise<void>
  unsubscribeTopic (sink: EventSink, sub: TopicSubscription): void
  subscribeUser (sink: EventSink, userId: string): Promise<void>
  unsubscribeUser (sink: EventSink, userId: string): void

  // Lifecycle events ---------------------------------------------------------------------------------

  /** The session logged in (CONNECTED is about to go out). */
  sessionConnected (s: SessionInfo): void
  /** A session that never logged in went away. */
  sessionAbandoned (s: SessionInfo): void
  /** A logged-in session ended: the rooms it streamed and the last seq it delivered in each. */
  sessionEnded (s: SessionInfo, rooms: readonly string[], delivered: ReadonlyArray<{ roomId: string, seq: number }>): void
  /** The session started streaming a room (presence: join). */
  roomJoined (s: SessionInfo, roomId: string): void
  /** The session no longer streams a room it streamed (presence: leave). */
  roomLeft (s: SessionInfo, roomId: string): void
  /**
   * Runs `task` (closing a socket) as paced work, so a burst of closes never stalls the sessions that work.
   * False when this tick's share of such closes is spent: ask again on the next tick.
   */
  closeLater (task: () => void): boolean
}
