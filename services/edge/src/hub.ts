import { CloseCode, StompErrorCode } from '@chat/protocol'
import type { EdgeDelivery, EdgeQueue, MessageBus } from '@chat/bus'
import type { ChatStore } from '@chat/store'
import type { PresenceSession, PresenceStore } from '@chat/presence'
import type { TokenStore } from '@chat/tokens'
import type { Logger } from '@chat/observability'
import type { EdgeConfig, EdgeLimits } from './config.js'
import type { EdgeMetrics } from './metrics.js'
import { AccessVerifier, type JwtVerify } from './access-verifier.js'
import { MembershipCache } from './membership-cache.js'
import { PacedWork } from './paced-work.js'
import { FeedMessage } from './delivery/feed-message.js'
import { RoomFeed, toFeedMessage } from './delivery/room-feed.js'
import { StompSession } from './session/stomp-session.js'
import type { SessionTransport } from './session/transport.js'
import type { RoomSubscription, TopicSubscription } from './session/subscriptions.js'
import { FrameRejection } from './session/frame-errors.js'

export interface EdgeHubDeps {
  readonly config: EdgeConfig
  readonly bus: MessageBus
  readonly store: ChatStore
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  readonly verifyJwt: JwtVerify
  readonly log: Logger
  readonly metrics: EdgeMetrics
  readonly now?: () => number
}

interface FeedEntry {
  readonly feed: RoomFeed
  readonly ready: Promise<void>
  unbindTimer: NodeJS.Timeout | undefined
}

/** How often sessions are checked for timeouts, heart-beats and slow sockets. */
const TICK_MS = 250
/** A room feed outlives its last subscriber this long, so a reconnect storm does not churn bindings. */
const FEED_GRACE_MS = 5_000
/** Read markers from ACKs are written at most this often per (user, room). */
const READ_FLUSH_MS = 1_000
/** Sessions closed per step when draining, and the pause between steps. */
const DRAIN_BATCH = 500
const DRAIN_STEP_MS = 50
/** After every session was told server-shutdown: how long their sockets get to close before they are cut. */
const DRAIN_CLOSE_GRACE_MS = 3_000
/** Unauthenticated sockets queued for closing per tick at most (4,000 a second). */
const MAX_LOGIN_TIMEOUTS_PER_TICK = 1_000
/**
 * Time per turn of the event loop for bursty work (upgrades, login-timeout closes). The writes the work corks go out
 * after its batch, costing about as much again, so a burst delays open sessions' frames by a few ms a turn. (With
 * 5 ms the edge's loop still stalled up to 38-42 ms while 10,000 idle sockets were opened and closed; with 2 ms, 30.)
 */
const PACED_BUDGET_MS = 2
/** A backfill replays at most this many messages (SPEC: up to 1,000 back). */
const MAX_RECOVERY = 1000

/**
 * Everything the sessions of this edge share: the bus queue and its bindings, the room feeds, presence,
 * membership answers, revocations, timers. It holds sockets and nothing else durable: every fact lives
 * in RabbitMQ, PostgreSQL or Redis.
 */
export class EdgeHub {
  readonly config: EdgeConfig
  readonly limits: EdgeLimits
  readonly log: Logger
  readonly metrics: EdgeMetrics
  readonly bus: MessageBus
  readonly verifier: AccessVerifier
  readonly membership: MembershipCache
  readonly now: () => number
  /** Bursty work, run a few milliseconds per turn of the event loop (see PacedWork). */
  readonly paced = new PacedWork(PACED_BUDGET_MS)
  readonly #store: ChatStore
  readonly #presence: PresenceStore
  readonly #tokens: TokenStore
  readonly #sessions = new Set<StompSession>()
  readonly #byDevice = new Map<string, Set<StompSession>>()
  readonly #notificationSubscribers = new Map<string, Set<StompSession>>()
  readonly #feeds = new Map<string, FeedEntry>()
  readonly #topics = new Map<string, Map<StompSession, string>>()
  readonly #pendingReads = new Map<string, { userId: string, roomId: string, seq: number }>()
  readonly #timingOut = new WeakSet<StompSession>()
  #edgeQueue: EdgeQueue | undefined
  #unsubscribeRevocations: (() => void) | undefined
  #unsubscribeResubscribed: (() => void) | undefined
  #tickTimer: NodeJS.Timeout | undefined
  #presenceTimer: NodeJS.Timeout | undefined
  #readTimer: NodeJS.Timeout | undefined
  #draining = false
  #connectedCount = 0

  constructor (deps: EdgeHubDeps) {
    this.config = deps.config
    this.limits = deps.config.limits
    this.log = deps.log
    this.metrics = deps.metrics
    this.bus = deps.bus
    this.now = deps.now ?? Date.now
    this.#store = deps.store
    this.#presence = deps.presence
    this.#tokens = deps.tokens
    this.verifier = new AccessVerifier({ verifyJwt: deps.verifyJwt, tokens: deps.tokens, users: deps.store.users, log: deps.log })
    this.membership = new MembershipCache(deps.store.rooms)
  }

  /** Opens this instance's bus queue and starts the timers. */
  async start (): Promise<void> {
    this.#edgeQueue = await this.bus.openEdgeQueue(this.config.instanceId, (d) => this.#onDelivery(d))
    this.#edgeQueue.onResync(() => this.#onResync())
    await this.#edgeQueue.bind({ kind: 'all-members' })
    this.#unsubscribeRevocations = this.#tokens.onRevoke((deviceId, version) => this.#onRevoke(deviceId, version))
    this.#unsubscribeResubscribed = this.#tokens.onResubscribed(() => { this.#recheckDevices() })
    this.#tickTimer = setInterval(() => this.#tick(), TICK_MS)
    this.#tickTimer.unref()
    const presenceEveryMs = Math.max(100, Math.floor(this.config.presenceTtlMs / 3))
    this.#presenceTimer = setInterval(() => this.#refreshPresence(), presenceEveryMs)
    this.#presenceTimer.unref()
    this.#readTimer = setInterval(() => this.#flushReads(), READ_FLUSH_MS)
    this.#readTimer.unref()
  }

  get socketCount (): number {
    return this.#sessions.size
  }

  get sessionCount (): number {
    return this.#connectedCount
  }

  isDraining (): boolean {
    return this.#draining
  }

  /** A new socket: the session starts awaiting CONNECT. The gateway checked the connection cap. */
  openSession (transport: SessionTransport, subprotocol?: string): StompSession {
    const session = new StompSession(this, transport, subprotocol === undefined ? {} : { subprotocol })
    this.#sessions.add(session)
    this.metrics.sockets.set(this.#sessions.size)
    return session
  }

  // Session lifecycle (called by StompSession) ------------------------------------------------

  sessionConnected (s: StompSession): void {
    this.#connectedCount++
    this.metrics.sessions.set(this.#connectedCount)
    addTo(this.#byDevice, s.deviceId, s)
    this.#presenceCall('refresh', this.#presence.refresh([this.#presenceOf(s)]))
  }

  /** A session that never connected went away. */
  sessionAbandoned (s: StompSession): void {
    this.#sessions.delete(s)
    this.metrics.sockets.set(this.#sessions.size)
  }

  sessionEnded (s: StompSession, rooms: readonly string[], delivered: ReadonlyArray<{ roomId: string, seq: number }>): void {
    this.#sessions.delete(s)
    this.metrics.sockets.set(this.#sessions.size)
    this.#connectedCount--
    this.metrics.sessions.set(this.#connectedCount)
    removeFrom(this.#byDevice, s.deviceId, s)
    const at = this.now()
    this.#presenceCall('end session', this.#presence.endSession(this.#presenceOf(s, rooms), at).then(async () => {
      await Promise.all(rooms.map(async (roomId) => await this.#publishPresence(roomId, 'leave', s)))
    }))
    // Durable facts for unread counts and last seen (DESIGN: PostgreSQL records them on disconnect).
    this.#store.users.recordLastSeen(s.userId, new Date(at)).catch((err: unknown) => this.log.warn({ err }, 'could not record last seen'))
    if (delivered.length > 0) {
      this.#store.rooms.recordDelivered(s.userId, delivered).catch((err: unknown) => this.log.warn({ err }, 'could not record delivered seqs'))
    }
  }

  // Room streams --------------------------------------------------------------------------

  /**
   * Attaches a room subscription: binds the room on first use, then either starts live at the feed's
   * position or, with `since`, backfills from the database (up to 1,000, the latest if more) and then
   * switches to live without gap or duplicate.
   */
  async subscribeRoom (s: StompSession, sub: RoomSubscription, since: number | undefined): Promise<void> {
    const entry = this.#ensureFeed(sub.roomId)
    try {
      await entry.ready
    } catch (err) {
      this.log.warn({ err, roomId: sub.roomId }, 'could not bind the room')
      throw new FrameRejection(StompErrorCode.BROKER_UNAVAILABLE, 'could not subscribe: the broker is unavailable', { cause: err })
    }
    if (sub.isBackfilling) {
      sub.lastSent = Math.min(since ?? 0, entry.feed.lastSeq)
      entry.feed.addSink(sub)
      try {
        for (;;) {
          const { messages, complete } = await this.#store.messages.since(sub.roomId, sub.lastSent, MAX_RECOVERY)
          for (const m of messages) sub.writeBackfilled(toFeedMessage(m), complete)
          if (sub.finishBackfill()) break
        }
      } catch (err) {
        this.log.warn({ err, roomId: sub.roomId }, 'backfill failed')
        throw new FrameRejection(StompErrorCode.UNAVAILABLE, 'could not read the room history; subscribe again', { cause: err })
      }
    } else {
      sub.lastSent = entry.feed.lastSeq
      entry.feed.addSink(sub)
    }
    this.#presenceJoined(s, sub.roomId)
  }

  /** `isEnding`: the session is ending; `sessionEnded` then clears its presence in one go. */
  unsubscribeRoom (s: StompSession, sub: RoomSubscription, isEnding: boolean): void {
    const entry = this.#feeds.get(sub.roomId)
    if (entry !== undefined) {
      entry.feed.removeSink(sub)
      if (entry.feed.sinkCount === 0) this.#scheduleUnbind(sub.roomId, entry)
    }
    if (!isEnding && !s.roomIds().includes(sub.roomId)) this.#presenceLeft(s, sub.roomId)
  }

  #ensureFeed (roomId: string): FeedEntry {
    const existing = this.#feeds.get(roomId)
    if (existing !== undefined) {
      if (existing.unbindTimer !== undefined) {
        clearTimeout(existing.unbindTimer)
        existing.unbindTimer = undefined
      }
      return existing
    }
    const feed = new RoomFeed(roomId, {
      store: this.#store.messages,
      log: this.log,
      onDuplicate: () => this.metrics.duplicatesDropped.inc(),
      onGapFilled: (n) => this.metrics.gapFilled.inc(n),
    })
    const queue = this.#queue()
    // Bind BEFORE reading the room's last seq: anything stored after the read is then on the bus.
    const ready = queue.bind({ kind: 'room', roomId }).then(async () => await feed.start())
    const entry: FeedEntry = { feed, ready, unbindTimer: undefined }
    this.#feeds.set(roomId, entry)
    this.metrics.roomFeeds.set(this.#feeds.size)
    ready.catch(() => {
      if (this.#feeds.get(roomId) === entry) {
        this.#feeds.delete(roomId)
        this.metrics.roomFeeds.set(this.#feeds.size)
        feed.close()
        queue.unbind({ kind: 'room', roomId }).catch(() => {})
      }
    })
    return entry
  }

  #scheduleUnbind (roomId: string, entry: FeedEntry): void {
    if (entry.unbindTimer !== undefined) return
    entry.unbindTimer = setTimeout(() => {
      entry.unbindTimer = undefined
      if (entry.feed.sinkCount > 0 || this.#feeds.get(roomId) !== entry) return
      this.#feeds.delete(roomId)
      this.metrics.roomFeeds.set(this.#feeds.size)
      entry.feed.close()
      this.#queue().unbind({ kind: 'room', roomId }).catch((err: unknown) => this.log.warn({ err, roomId }, 'unbind failed'))
    }, FEED_GRACE_MS)
    entry.unbindTimer.unref()
  }

  // Presence and typing topics, user queues ------------------------------------------------------

  async subscribeTopic (s: StompSession, sub: TopicSubscription): Promise<void> {
    const key = `${sub.kind}:${sub.roomId}`
    let subscribers = this.#topics.get(key)
    if (subscribers === undefined) {
      subscribers = new Map()
      this.#topics.set(key, subscribers)
      try {
        await this.#queue().bind({ kind: sub.kind, roomId: sub.roomId })
      } catch (err) {
        this.#topics.delete(key)
        throw err
      }
    }
    subscribers.set(s, sub.id)
  }

  unsubscribeTopic (s: StompSession, sub: TopicSubscription): void {
    const key = `${sub.kind}:${sub.roomId}`
    const subscribers = this.#topics.get(key)
    if (subscribers === undefined) return
    subscribers.delete(s)
    if (subscribers.size === 0) {
      this.#topics.delete(key)
      this.#queue().unbind({ kind: sub.kind, roomId: sub.roomId }).catch((err: unknown) => this.log.warn({ err }, 'unbind failed'))
    }
  }

  async subscribeUser (s: StompSession): Promise<void> {
    const set = this.#notificationSubscribers.get(s.userId)
    if (set === undefined) {
      this.#notificationSubscribers.set(s.userId, new Set([s]))
      try {
        await this.#queue().bind({ kind: 'user', userId: s.userId })
      } catch (err) {
        this.#notificationSubscribers.delete(s.userId)
        throw err
      }
    } else {
      set.add(s)
    }
  }

  unsubscribeUser (s: StompSession): void {
    const set = this.#notificationSubscribers.get(s.userId)
    if (set === undefined) return
    set.delete(s)
    if (set.size === 0) {
      this.#notificationSubscribers.delete(s.userId)
      this.#queue().unbind({ kind: 'user', userId: s.userId }).catch((err: unknown) => this.log.warn({ err }, 'unbind failed'))
    }
  }

  publishTyping (roomId: string, body: string): void {
    this.bus.publishEvent({ kind: 'typing', roomId, body }).catch((err: unknown) => this.log.warn({ err }, 'typing event lost'))
  }

  // Read markers ---------------------------------------------------------------------------

  /** Moves the user's read marker (never back) and tells the user's other sessions the new unread count. */
  async markRead (userId: string, roomId: string, seq: number): Promise<void> {
    const result = await this.#store.rooms.markRead(roomId, userId, seq)
    if (result === undefined) return
    const body = JSON.stringify({ type: 'unread', roomId, unread: result.unread, lastReadSeq: result.lastReadSeq })
    this.bus.publishEvent({ kind: 'user', userId, body }).catch((err: unknown) => this.log.warn({ err }, 'unread event lost'))
  }

  /** An ACK's read marker: coalesced per (user, room) and written at most once a second. */
  markReadLater (userId: string, roomId: string, seq: number): void {
    const key = `${userId}/${roomId}`
    const prev = this.#pendingReads.get(key)
    if (prev === undefined || prev.seq < seq) this.#pendingReads.set(key, { userId, roomId, seq })
  }

  #flushReads (): void {
    if (this.#pendingReads.size === 0) return
    const batch = [...this.#pendingReads.values()]
    this.#pendingReads.clear()
    for (const r of batch) {
      this.markRead(r.userId, r.roomId, r.seq).catch((err: unknown) => this.log.warn({ err }, 'read marker not written'))
    }
  }

  // Bus deliveries ---------------------------------------------------------------------------

  #onDelivery (d: EdgeDelivery): void {
    this.metrics.deliveries.inc({ kind: d.kind })
    switch (d.kind) {
      case 'room': {
        this.#feeds.get(d.roomId)?.feed.push(new FeedMessage(d.roomId, d.seq, d.id, d.body))
        return
      }
      case 'presence':
      case 'typing': {
        const subscribers = this.#topics.get(`${d.kind}:${d.roomId}`)
        if (subscribers === undefined) return
        const destination = `/topic/rooms.${d.roomId}.${d.kind}`
        for (const [session, subId] of subscribers) session.writeEvent(subId, destination, d.body)
        return
      }
      case 'user': {
        const sessions = this.#notificationSubscribers.get(d.userId)
        if (sessions === undefined) return
        for (const s of sessions) s.notify(d.body)
        return
      }
      case 'members': {
        this.membership.invalidateRoom(d.roomId)
        this.#onMembershipChange(d.roomId, d.body)
      }
    }
  }

  #onMembershipChange (roomId: string, body: Buffer): void {
    let event: { type?: unknown, userId?: unknown }
    try {
      event = JSON.parse(body.toString('utf8')) as typeof event
    } catch {
      return
    }
    if (event.type !== 'removed' || typeof event.userId !== 'string') return
    const userId = event.userId
    for (const s of this.#sessions) {
      if (s.userId === userId && s.isConnected) s.removedFromRoom(roomId)
    }
  }

  #onResync (): void {
    this.log.info({ feeds: this.#feeds.size }, 'edge queue re-created, refilling rooms from the database')
    this.membership.invalidateAll()
    for (const entry of this.#feeds.values()) entry.feed.resync()
  }

  #onRevoke (deviceId: string, version: number): void {
    const sessions = this.#byDevice.get(deviceId)
    if (sessions === undefined) return
    for (const s of [...sessions]) {
      const claims = s.claims
      if (claims !== undefined && claims.ver < version) {
        s.fail(StompErrorCode.TOKEN_REVOKED, 'the tokens of this device were revoked', CloseCode.UNAUTHORIZED)
      }
    }
  }

  /**
   * The revocation broadcast was interrupted (a Redis failover): revocations published meanwhile were missed, but
   * they are in the database. Re-check every device with a live session there and close what was revoked.
   */
  #recheckDevices (): void {
    const devices = [...this.#byDevice.keys()]
    this.log.info({ devices: devices.length }, 'revocation broadcast resumed, re-checking devices in the database')
    for (const deviceId of devices) {
      this.verifier.versionInDatabase(deviceId).then((version) => {
        if (version !== undefined) this.#onRevoke(deviceId, version)
      }, (err: unknown) => this.log.warn({ err }, 'device re-check failed'))
    }
  }

  // Presence ---------------------------------------------------------------------------------

  #presenceOf (s: StompSession, rooms: readonly string[] = s.roomIds()): PresenceSession {
    return { sessionId: s.id, userId: s.userId, username: s.username, instanceId: this.config.instanceId, rooms }
  }

  #presenceJoined (s: StompSession, roomId: string): void {
    this.#presenceCall('join', this.#presence.refresh([this.#presenceOf(s)]).then(async () => {
      await this.#publishPresence(roomId, 'join', s)
    }))
  }

  #presenceLeft (s: StompSession, roomId: string): void {
    this.#presenceCall('leave', this.#presence.leaveRoom(s.id, s.userId, roomId).then(async () => {
      await this.#publishPresence(roomId, 'leave', s)
    }))
  }

  async #publishPresence (roomId: string, type: 'join' | 'leave', s: StompSession): Promise<void> {
    const online = await this.#presence.roomOnline(roomId)
    const sessions = online.find((m) => m.userId === s.userId)?.sessions ?? 0
    const body = JSON.stringify({ type, roomId, userId: s.userId, username: s.username, sessions, at: new Date(this.now()).toISOString() })
    await this.bus.publishEvent({ kind: 'presence', roomId, body })
  }

  #refreshPresence (): void {
    const batch: PresenceSession[] = []
    for (const s of this.#sessions) if (s.isConnected) batch.push(this.#presenceOf(s))
    if (batch.length > 0) this.#presenceCall('refresh', this.#presence.refresh(batch))
  }

  /** Presence is best effort: Redis being away must never hold up messaging. */
  #presenceCall (what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.log.warn({ err, what }, 'presence update failed'))
  }

  // Timers -------------------------------------------------------------------------------------

  #tick (): void {
    const now = this.now()
    const l = this.limits
    // Closing costs a little each (an ERROR frame, a close handshake): a flood of sockets that never log in
    // reaches its timeout together and is closed as paced work, so the sessions that do work never stall behind it.
    let loginTimeouts = MAX_LOGIN_TIMEOUTS_PER_TICK
    for (const s of this.#sessions) {
      if (s.state === 'awaiting-connect') {
        if (now - s.openedAt >= l.loginTimeoutMs && loginTimeouts > 0 && !this.#timingOut.has(s)) {
          loginTimeouts--
          this.#timingOut.add(s)
          this.paced.push(() => {
            if (s.state === 'awaiting-connect') s.fail(StompErrorCode.LOGIN_TIMEOUT, `no CONNECT within ${l.loginTimeoutMs} ms`, CloseCode.LOGIN_TIMEOUT)
          })
        }
        continue
      }
      if (s.state !== 'connected') continue
      const buffered = s.bufferedAmount()
      if (buffered >= l.hardBufferBytes) {
        this.#closeSlow(s)
        continue
      }
      if (buffered > l.slowConsumerBytes) {
        if (s.slowSince === 0) s.slowSince = now
        else if (now - s.slowSince >= l.slowConsumerMs) {
          this.#closeSlow(s)
          continue
        }
      } else {
        s.slowSince = 0
      }
      if (now >= s.expiresAt) {
        s.fail(StompErrorCode.TOKEN_EXPIRED, 'the access token expired; refresh it and connect again', CloseCode.UNAUTHORIZED)
        continue
      }
      if (s.expectEveryMs > 0 && now - s.lastReceivedAt > 2 * s.expectEveryMs) {
        s.fail(StompErrorCode.HEARTBEAT_TIMEOUT, `nothing received for ${now - s.lastReceivedAt} ms`, CloseCode.HEARTBEAT_TIMEOUT)
        continue
      }
      if (s.sendEveryMs > 0 && now - s.lastSentAt >= s.sendEveryMs - TICK_MS) s.heartbeat()
    }
  }

  #closeSlow (s: StompSession): void {
    this.metrics.slowConsumerCloses.inc()
    this.log.info({ sessionId: s.id, buffered: s.bufferedAmount() }, 'closing a slow consumer')
    s.terminate(StompErrorCode.SLOW_CONSUMER)
  }

  // Shutdown -----------------------------------------------------------------------------------

  /**
   * SIGTERM: stop admitting sessions, let each session's outstanding confirms finish (bounded), then
   * send `ERROR server-shutdown` with a `reconnect-after-ms` spread at random over the drain window and
   * close, in batches so the clients do not all come back at once.
   */
  async drain (deadlineMs: number): Promise<void> {
    this.#draining = true
    const deadline = this.now() + deadlineMs
    const sessions = [...this.#sessions]
    for (let i = 0; i < sessions.length; i += DRAIN_BATCH) {
      const batch = sessions.slice(i, i + DRAIN_BATCH)
      const remaining = Math.max(0, deadline - this.now())
      await Promise.race([
        Promise.all(batch.map(async (s) => await s.settled())),
        new Promise((resolve) => setTimeout(resolve, Math.min(remaining, 5_000)).unref()),
      ])
      for (const s of batch) {
        const after = Math.floor(Math.random() * Math.max(1, this.limits.drainWindowMs))
        s.fail(StompErrorCode.SERVER_SHUTDOWN, 'the server is restarting; reconnect after reconnect-after-ms', CloseCode.SERVER_RESTART, { 'reconnect-after-ms': String(after) })
      }
      if (i + DRAIN_BATCH < sessions.length) await new Promise((resolve) => setTimeout(resolve, DRAIN_STEP_MS))
    }
    // A client that does not answer the close handshake would hold its socket (and the shutdown) for ws's
    // 30 s close timeout: after a grace period the rest are cut. Each was already told server-shutdown.
    const grace = Math.min(DRAIN_CLOSE_GRACE_MS, Math.max(0, deadline - this.now()))
    for (let waited = 0; this.#sessions.size > 0 && waited < grace; waited += DRAIN_STEP_MS) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_STEP_MS))
    }
    const left = [...this.#sessions]
    if (left.length > 0) this.log.warn({ sessions: left.length }, 'sessions still open after the drain grace period: closing them')
    for (const s of left) s.terminate(StompErrorCode.SERVER_SHUTDOWN)
    this.#flushReads()
  }

  /** Stops timers and the bus queue. Sessions must be drained or closed first. */
  async close (): Promise<void> {
    this.#draining = true
    for (const t of [this.#tickTimer, this.#presenceTimer, this.#readTimer]) if (t !== undefined) clearInterval(t)
    this.#unsubscribeRevocations?.()
    this.#unsubscribeResubscribed?.()
    for (const entry of this.#feeds.values()) {
      if (entry.unbindTimer !== undefined) clearTimeout(entry.unbindTimer)
      entry.feed.close()
    }
    this.#feeds.clear()
    this.#flushReads()
    await this.#edgeQueue?.close()
  }

  #queue (): EdgeQueue {
    if (this.#edgeQueue === undefined) throw new Error('EdgeHub.start() was not called')
    return this.#edgeQueue
  }
}

function addTo<K, V> (map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key)
  if (set === undefined) map.set(key, new Set([value]))
  else set.add(value)
}

function removeFrom<K, V> (map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key)
  if (set === undefined) return
  set.delete(value)
  if (set.size === 0) map.delete(key)
}
