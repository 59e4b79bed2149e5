import type { OnlineMember, PresenceEvent, TypingEvent } from './wire.js'

/** How long "x is typing…" stays after the last typing event (senders repeat it every 3 s while typing). */
const TYPING_SHOWN_MS = 5_000

export interface PresenceView {
  /** Online members, sorted by name. */
  readonly online: readonly OnlineMember[]
  /** Names of the people typing now, never the person themself. */
  readonly typing: readonly string[]
}

/**
 * Who is online in the open room and who is typing there. The snapshot (`GET /api/rooms/:id/presence`) and the
 * events (`/topic/rooms.{id}.presence`) race; every event carries the user's absolute session count, so events
 * seen while the snapshot was in flight are applied again on top of it and the result is the same either way.
 */
export class PresenceTracker {
  readonly #me: string
  readonly #onChange: (view: PresenceView) => void
  readonly #online = new Map<string, OnlineMember>()
  readonly #typing = new Map<string, { username: string, timer: ReturnType<typeof setTimeout> }>()
  #inFlight: PresenceEvent[] | undefined

  constructor (myUserId: string, onChange: (view: PresenceView) => void) {
    this.#me = myUserId
    this.#onChange = onChange
  }

  reset (): void {
    this.#online.clear()
    for (const t of this.#typing.values()) clearTimeout(t.timer)
    this.#typing.clear()
    this.#inFlight = undefined
    this.#emit()
  }

  /** A snapshot request is going out: remember the events until it is applied. */
  snapshotRequested (): void {
    this.#inFlight = []
  }

  applySnapshot (online: readonly OnlineMember[]): void {
    const replay = this.#inFlight ?? []
    this.#inFlight = undefined
    this.#online.clear()
    for (const m of online) if (m.sessions > 0) this.#online.set(m.userId, m)
    for (const e of replay) this.#applyEvent(e)
    this.#emit()
  }

  onPresence (e: PresenceEvent): void {
    this.#inFlight?.push(e)
    this.#applyEvent(e)
    this.#emit()
  }

  onTyping (e: TypingEvent): void {
    if (e.userId === this.#me) return
    const prev = this.#typing.get(e.userId)
    if (prev !== undefined) clearTimeout(prev.timer)
    const timer = setTimeout(() => this.stoppedTyping(e.userId), TYPING_SHOWN_MS)
    this.#typing.set(e.userId, { username: e.username, timer })
    this.#emit()
  }

  /** Their message arrived, or they went away: not typing any more. */
  stoppedTyping (userId: string): void {
    const t = this.#typing.get(userId)
    if (t === undefined) return
    clearTimeout(t.timer)
    this.#typing.delete(userId)
    this.#emit()
  }

  #applyEvent (e: PresenceEvent): void {
    if (e.type === 'leave' && e.sessions <= 0) {
      this.#online.delete(e.userId)
      this.stoppedTyping(e.userId)
    } else {
      this.#online.set(e.userId, { userId: e.userId, username: e.username, sessions: Math.max(1, e.sessions) })
    }
  }

  #emit (): void {
    this.#onChange({
      online: [...this.#online.values()].sort((a, b) => a.username.localeCompare(b.username)),
      typing: [...this.#typing.values()].map((t) => t.username).sort(),
    })
  }
}
