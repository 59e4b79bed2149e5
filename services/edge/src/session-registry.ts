import { StompErrorCode } from '@chat/protocol'
import type { Logger } from '@chat/observability'
import type { EdgeMetrics } from './metrics.js'
import type { PacedWork } from './paced-work.js'
import type { StompSession } from './session/stomp-session.js'
import type { SessionInfo } from './session/session-context.js'

export interface SessionRegistryDeps {
  readonly metrics: Pick<EdgeMetrics, 'sockets' | 'sessions'>
  readonly log: Logger
  readonly now: () => number
  /** Where paced closes run. */
  readonly paced: PacedWork
  /** Window over which a drain spreads `reconnect-after-ms`. */
  readonly drainWindowMs: number
}

/** How often sessions are ticked (their deadlines: login, heart-beats, token expiry, slow sockets). */
export const TICK_MS = 250
/** Unauthenticated sockets queued for closing per tick at most (4,000 a second). */
const MAX_PACED_CLOSES_PER_TICK = 1_000
/** Sessions closed per step when draining, and the pause between steps. */
const DRAIN_BATCH = 500
const DRAIN_STEP_MS = 50
/** After every session was told server-shutdown: how long their sockets get to close before they are cut. */
const DRAIN_CLOSE_GRACE_MS = 3_000

/**
 * The sessions of this edge: every open socket, the logged-in ones by user and by device, their counts. It runs
 * the one timer that ticks them (each session decides about its own deadlines), tells sessions what happened to
 * their user or device (a revocation, a removal from a room), and drains them at shutdown. It never reads or
 * writes a session's state: it calls the session's methods.
 */
export class SessionRegistry {
  readonly #deps: SessionRegistryDeps
  readonly #sessions = new Map<string, StompSession>()
  readonly #byDevice = new Map<string, Set<StompSession>>()
  readonly #byUser = new Map<string, Set<StompSession>>()
  #connectedCount = 0
  #draining = false
  #tickTimer: NodeJS.Timeout | undefined
  #pacedClosesLeft = MAX_PACED_CLOSES_PER_TICK

  constructor (deps: SessionRegistryDeps) {
    this.#deps = deps
  }

  start (): void {
    this.#tickTimer = setInterval(() => this.#tick(), TICK_MS)
    this.#tickTimer.unref()
  }

  /** Stops ticking (the sessions must be drained or closed first). */
  close (): void {
    this.#draining = true
    if (this.#tickTimer !== undefined) clearInterval(this.#tickTimer)
    this.#tickTimer = undefined
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

  /** A new socket, awaiting CONNECT. */
  add (s: StompSession): void {
    this.#sessions.set(s.id, s)
    this.#deps.metrics.sockets.set(this.#sessions.size)
  }

  connected (info: SessionInfo): void {
    const s = this.#sessions.get(info.id)
    if (s === undefined) return
    this.#connectedCount++
    this.#deps.metrics.sessions.set(this.#connectedCount)
    addTo(this.#byDevice, s.deviceId, s)
    addTo(this.#byUser, s.userId, s)
  }

  /** A socket that never logged in went away. */
  abandoned (info: SessionInfo): void {
    this.#sessions.delete(info.id)
    this.#deps.metrics.sockets.set(this.#sessions.size)
  }

  ended (info: SessionInfo): void {
    const s = this.#sessions.get(info.id)
    if (s === undefined) return
    this.#sessions.delete(info.id)
    this.#deps.metrics.sockets.set(this.#sessions.size)
    this.#connectedCount--
    this.#deps.metrics.sessions.set(this.#connectedCount)
    removeFrom(this.#byDevice, s.deviceId, s)
    removeFrom(this.#byUser, s.userId, s)
  }

  /** The logged-in sessions. */
  * connectedSessions (): Iterable<StompSession> {
    for (const s of this.#sessions.values()) if (s.isConnected) yield s
  }

  /** See SessionContext.closeLater: at most MAX_PACED_CLOSES_PER_TICK a tick. */
  closeLater (task: () => void): boolean {
    if (this.#pacedClosesLeft <= 0) return false
    this.#pacedClosesLeft--
    this.#deps.paced.push(task)
    return true
  }

  /** The devices with a session here (what to re-check after missed revocations). */
  deviceIds (): string[] {
    return [...this.#byDevice.keys()]
  }

  /** Tokens of a device were revoked up to `version`: its sessions holding older tokens end. */
  revokeDevice (deviceId: string, version: number): void {
    const sessions = this.#byDevice.get(deviceId)
    if (sessions === undefined) return
    for (const s of [...sessions]) s.revoke(version)
  }

  /** A user left or was removed from a room: their sessions stop streaming it. */
  removedFromRoom (roomId: string, userId: string): void {
    const sessions = this.#byUser.get(userId)
    if (sessions === undefined) return
    for (const s of [...sessions]) s.removedFromRoom(roomId)
  }

  /**
   * SIGTERM: stop admitting sessions, let each session's outstanding confirms finish (bounded), then
   * send `ERROR server-shutdown` with a `reconnect-after-ms` spread at random over the drain window and
   * close, in batches so the clients do not all come back at once.
   */
  async drain (deadlineMs: number): Promise<void> {
    this.#draining = true
    const now = this.#deps.now
    const deadline = now() + deadlineMs
    const sessions = [...this.#sessions.values()]
    for (let i = 0; i < sessions.length; i += DRAIN_BATCH) {
      const batch = sessions.slice(i, i + DRAIN_BATCH)
      const remaining = Math.max(0, deadline - now())
      await Promise.race([
        Promise.all(batch.map(async (s) => await s.settled())),
        new Promise((resolve) => setTimeout(resolve, Math.min(remaining, 5_000)).unref()),
      ])
      for (const s of batch) s.shutdown(Math.floor(Math.random() * Math.max(1, this.#deps.drainWindowMs)))
      if (i + DRAIN_BATCH < sessions.length) await new Promise((resolve) => setTimeout(resolve, DRAIN_STEP_MS))
    }
    // A client that does not answer the close handshake would hold its socket (and the shutdown) for ws's
    // 30 s close timeout: after a grace period the rest are cut. Each was already told server-shutdown.
    const grace = Math.min(DRAIN_CLOSE_GRACE_MS, Math.max(0, deadline - now()))
    for (let waited = 0; this.#sessions.size > 0 && waited < grace; waited += DRAIN_STEP_MS) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_STEP_MS))
    }
    const left = [...this.#sessions.values()]
    if (left.length > 0) this.#deps.log.warn({ sessions: left.length }, 'sessions still open after the drain grace period: closing them')
    for (const s of left) s.terminate(StompErrorCode.SERVER_SHUTDOWN)
  }

  #tick (): void {
    this.#pacedClosesLeft = MAX_PACED_CLOSES_PER_TICK
    const now = this.#deps.now()
    for (const s of this.#sessions.values()) s.tick(now)
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
