import type { EdgeQueue, MessageBus } from '@chat/bus'
import type { ChatStore } from '@chat/store'
import type { PresenceStore } from '@chat/presence'
import type { TokenStore } from '@chat/tokens'
import type { SendLimiter } from '@chat/limits'
import type { InboundMessage } from '@chat/schemas'
import type { Logger } from '@chat/observability'
import type { EdgeConfig, EdgeLimits } from './config.js'
import type { EdgeMetrics } from './metrics.js'
import { AccessVerifier, type JwtVerify, type VerifyResult } from './access-verifier.js'
import { MembershipCache } from './membership-cache.js'
import { PacedWork } from './paced-work.js'
import { PresenceReporter } from './presence-reporter.js'
import { ReadMarkers } from './read-markers.js'
import { SessionRegistry, TICK_MS } from './session-registry.js'
import { RoomRouter } from './delivery/room-router.js'
import { StompSession } from './session/stomp-session.js'
import type { SessionContext, SessionInfo } from './session/session-context.js'
import type { SessionTransport } from './session/transport.js'
import type { EventSink, RoomSubscription, TopicSubscription } from './session/subscriptions.js'

export interface EdgeHubDeps {
  readonly config: EdgeConfig
  readonly bus: MessageBus
  readonly store: ChatStore
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  readonly sendLimiter: SendLimiter
  readonly verifyJwt: JwtVerify
  readonly log: Logger
  readonly metrics: EdgeMetrics
  readonly now?: () => number
}

/**
 * Time per turn of the event loop for bursty work (upgrades, login-timeout closes). The writes the work corks go out
 * after its batch, costing about as much again, so a burst delays open sessions' frames by a few ms a turn. (With
 * 5 ms the edge's loop still stalled up to 38-42 ms while 10,000 idle sockets were opened and closed; with 2 ms, 30.)
 */
const PACED_BUDGET_MS = 2

/**
 * The edge's shared state, put together: the session registry, room routing and delivery, presence reporting,
 * read markers, membership answers, token checks and the SEND limiter. It is each session's SessionContext
 * (the narrow set of things a session may ask of the process) and holds sockets and nothing else durable: every
 * fact lives in RabbitMQ, PostgreSQL or Redis.
 */
export class EdgeHub implements SessionContext {
  readonly config: EdgeConfig
  readonly limits: EdgeLimits
  readonly log: Logger
  readonly metrics: EdgeMetrics
  readonly tickMs = TICK_MS
  /** Bursty work, run a few milliseconds per turn of the event loop (see PacedWork). */
  readonly paced = new PacedWork(PACED_BUDGET_MS)
  readonly #now: () => number
  readonly #bus: MessageBus
  readonly #store: ChatStore
  readonly #tokens: TokenStore
  readonly #sendLimiter: SendLimiter
  readonly #verifier: AccessVerifier
  readonly #membership: MembershipCache
  readonly #sessions: SessionRegistry
  readonly #presence: PresenceReporter
  readonly #reads: ReadMarkers
  #router: RoomRouter | undefined
  #edgeQueue: EdgeQueue | undefined
  #unsubscribeRevocations: (() => void) | undefined
  #unsubscribeResubscribed: (() => void) | undefined
  #presenceTimer: NodeJS.Timeout | undefined

  constructor (deps: EdgeHubDeps) {
    this.config = deps.config
    this.limits = deps.config.limits
    this.log = deps.log
    this.metrics = deps.metrics
    this.#now = deps.now ?? Date.now
    this.#bus = deps.bus
    this.#store = deps.store
    this.#tokens = deps.tokens
    this.#sendLimiter = deps.sendLimiter
    this.#verifier = new AccessVerifier({ verifyJwt: deps.verifyJwt, tokens: deps.tokens, users: deps.store.users, log: deps.log })
    this.#membership = new MembershipCache(deps.store.rooms)
    this.#sessions = new SessionRegistry({ metrics: deps.metrics, log: deps.log, now: this.#now, paced: this.paced, drainWindowMs: this.limits.drainWindowMs })
    this.#presence = new PresenceReporter({ presence: deps.presence, bus: deps.bus, log: deps.log, instanceId: deps.config.instanceId, now: this.#now })
    this.#reads = new ReadMarkers({ rooms: deps.store.rooms, bus: deps.bus, log: deps.log })
  }

  /** Opens this instance's bus queue and starts the timers. */
  async start (): Promise<void> {
    const queue = await this.#bus.openEdgeQueue(this.config.instanceId, (d) => this.#router?.deliver(d))
    this.#edgeQueue = queue
    const router = new RoomRouter({
      queue,
      messages: this.#store.messages,
      log: this.log,
      metrics: this.metrics,
      onMembersEvent: (roomId, body) => this.#onMembersEvent(roomId, body),
    })
    this.#router = router
    queue.onResync(() => {
      this.#membership.invalidateAll()
      router.resync()
    })
    await queue.bind({ kind: 'all-members' })
    this.#unsubscribeRevocations = this.#tokens.onRevoke((deviceId, version) => this.#sessions.revokeDevice(deviceId, version))
    this.#unsubscribeResubscribed = this.#tokens.onResubscribed(() => { this.#recheckDevices() })
    this.#sessions.start()
    this.#reads.start()
    const presenceEveryMs = Math.max(100, Math.floor(this.config.presenceTtlMs / 3))
    this.#presenceTimer = setInterval(() => this.#presence.refresh(this.#sessions.connectedSessions()), presenceEveryMs)
    this.#presenceTimer.unref()
  }

  get socketCount (): number {
    return this.#sessions.socketCount
  }

  get sessionCount (): number {
    return this.#sessions.sessionCount
  }

  isDraining (): boolean {
    return this.#sessions.isDraining()
  }

  /** A new socket: the session starts awaiting CONNECT. The gateway checked the connection cap. */
  openSession (transport: SessionTransport, subprotocol?: string): StompSession {
    const session = new StompSession(this, transport, subprotocol === undefined ? {} : { subprotocol })
    this.#sessions.add(session)
    return session
  }

  /** Ends every session (see SessionRegistry.drain), then writes the pending read markers. */
  async drain (deadlineMs: number): Promise<void> {
    await this.#sessions.drain(deadlineMs)
    this.#reads.flush()
  }

  /** Stops timers and the bus queue. Sessions must be drained or closed first. */
  async close (): Promise<void> {
    this.#sessions.close()
    if (this.#presenceTimer !== undefined) clearInterval(this.#presenceTimer)
    this.#unsubscribeRevocations?.()
    this.#unsubscribeResubscribed?.()
    this.#router?.close()
    this.#reads.close()
    await this.#edgeQueue?.close()
  }

  // SessionContext ------------------------------------------------------------------------------

  now (): number {
    return this.#now()
  }

  async verify (token: string): Promise<VerifyResult> {
    return await this.#verifier.verify(token)
  }

  isMember (roomId: string, userId: string): boolean | Promise<boolean> {
    return this.#membership.peek(roomId, userId) ?? this.#membership.isMember(roomId, userId)
  }

  takeSendToken (userId: string): boolean {
    return this.#sendLimiter.take(userId)
  }

  async publish (message: InboundMessage): Promise<void> {
    await this.#bus.publishInbound(message)
  }

  publishTyping (roomId: string, body: string): void {
    this.#bus.publishEvent({ kind: 'typing', roomId, body }).catch((err: unknown) => this.log.warn({ err }, 'typing event lost'))
  }

  async markRead (userId: string, roomId: string, seq: number): Promise<void> {
    await this.#reads.markRead(userId, roomId, seq)
  }

  markReadLater (userId: string, roomId: string, seq: number): void {
    this.#reads.markReadLater(userId, roomId, seq)
  }

  async subscribeRoom (sub: RoomSubscription, since: number | undefined): Promise<void> {
    await this.#routes().subscribeRoom(sub, since)
  }

  unsubscribeRoom (sub: RoomSubscription): void {
    this.#routes().unsubscribeRoom(sub)
  }

  async subscribeTopic (sink: EventSink, sub: TopicSubscription): Promise<void> {
    await this.#routes().subscribeTopic(sink, sub)
  }

  unsubscribeTopic (sink: EventSink, sub: TopicSubscription): void {
    this.#routes().unsubscribeTopic(sink, sub)
  }

  async subscribeUser (sink: EventSink, userId: string): Promise<void> {
    await this.#routes().subscribeUser(sink, userId)
  }

  unsubscribeUser (sink: EventSink, userId: string): void {
    this.#routes().unsubscribeUser(sink, userId)
  }

  sessionConnected (s: SessionInfo): void {
    this.#sessions.connected(s)
    this.#presence.connected(s)
  }

  sessionAbandoned (s: SessionInfo): void {
    this.#sessions.abandoned(s)
  }

  sessionEnded (s: SessionInfo, rooms: readonly string[], delivered: ReadonlyArray<{ roomId: string, seq: number }>): void {
    this.#sessions.ended(s)
    const at = this.#now()
    this.#presence.ended(s, rooms, at)
    // Durable facts for unread counts and last seen (PostgreSQL records them on disconnect).
    this.#store.users.recordLastSeen(s.userId, new Date(at)).catch((err: unknown) => this.log.warn({ err }, 'could not record last seen'))
    if (delivered.length > 0) {
      this.#store.rooms.recordDelivered(s.userId, delivered).catch((err: unknown) => this.log.warn({ err }, 'could not record delivered seqs'))
    }
  }

  roomJoined (s: SessionInfo, roomId: string): void {
    this.#presence.joined(s, roomId)
  }

  roomLeft (s: SessionInfo, roomId: string): void {
    this.#presence.left(s, roomId)
  }

  closeLater (task: () => void): boolean {
    return this.#sessions.closeLater(task)
  }

  // ---------------------------------------------------------------------------------------------

  /** A `members.{roomId}` event: drop the room's cached answers; a removal ends the user's streams of the room. */
  /**
   * The revocation broadcast was interrupted (a Redis failover): revocations published meanwhile were missed, but
   * they are in the database. Re-check every device with a live session there and end what was revoked.
   */
  #recheckDevices (): void {
    const devices = this.#sessions.deviceIds()
    this.log.info({ devices: devices.length }, 'revocation broadcast resumed, re-checking devices in the database')
    for (const deviceId of devices) {
      this.#verifier.versionInDatabase(deviceId).then((version) => {
        if (version !== undefined) this.#sessions.revokeDevice(deviceId, version)
      }, (err: unknown) => this.log.warn({ err }, 'device re-check failed'))
    }
  }

  #onMembersEvent (roomId: string, body: Buffer): void {
    this.#membership.invalidateRoom(roomId)
    let event: { type?: unknown, userId?: unknown }
    try {
      event = JSON.parse(body.toString('utf8')) as typeof event
    } catch {
      return
    }
    if (event.type !== 'removed' || typeof event.userId !== 'string') return
    this.#sessions.removedFromRoom(roomId, event.userId)
  }

  #routes (): RoomRouter {
    if (this.#router === undefined) throw new Error('EdgeHub.start() was not called')
    return this.#router
  }
}
