import type { MessageBus } from '@chat/bus'
import type { PresenceSession, PresenceStore } from '@chat/presence'
import type { Logger } from '@chat/observability'

/** A session as presence sees it. */
export interface PresenceSubject {
  readonly id: string
  readonly userId: string
  readonly username: string
  roomIds (): string[]
}

export interface PresenceReporterDeps {
  readonly presence: PresenceStore
  readonly bus: MessageBus
  readonly log: Logger
  readonly instanceId: string
  readonly now: () => number
}

/**
 * Presence reporting of this edge's sessions: writes who is online where to the presence store (refreshed in
 * batches while they live, so a crashed edge's sessions expire on their own) and publishes join and leave
 * events to the rooms' `.presence` topics. Best effort throughout: Redis being away never holds up messaging.
 */
export class PresenceReporter {
  readonly #deps: PresenceReporterDeps

  constructor (deps: PresenceReporterDeps) {
    this.#deps = deps
  }

  connected (s: PresenceSubject): void {
    this.#call('refresh', this.#deps.presence.refresh([this.#entry(s, s.roomIds())]))
  }

  joined (s: PresenceSubject, roomId: string): void {
    this.#call('join', this.#deps.presence.refresh([this.#entry(s, s.roomIds())]).then(async () => {
      await this.#publish(roomId, 'join', s)
    }))
  }

  left (s: Omit<PresenceSubject, 'roomIds'>, roomId: string): void {
    this.#call('leave', this.#deps.presence.leaveRoom(s.id, s.userId, roomId).then(async () => {
      await this.#publish(roomId, 'leave', s)
    }))
  }

  ended (s: Omit<PresenceSubject, 'roomIds'>, rooms: readonly string[], at: number): void {
    this.#call('end session', this.#deps.presence.endSession(this.#entry(s, rooms), at).then(async () => {
      await Promise.all(rooms.map(async (roomId) => await this.#publish(roomId, 'leave', s)))
    }))
  }

  /** Refreshes every live session in one batch. */
  refresh (sessions: Iterable<PresenceSubject>): void {
    const batch: PresenceSession[] = []
    for (const s of sessions) batch.push(this.#entry(s, s.roomIds()))
    if (batch.length > 0) this.#call('refresh', this.#deps.presence.refresh(batch))
  }

  #entry (s: Omit<PresenceSubject, 'roomIds'>, rooms: readonly string[]): PresenceSession {
    return { sessionId: s.id, userId: s.userId, username: s.username, instanceId: this.#deps.instanceId, rooms }
  }

  async #publish (roomId: string, type: 'join' | 'leave', s: Omit<PresenceSubject, 'roomIds'>): Promise<void> {
    const online = await this.#deps.presence.roomOnline(roomId)
    const sessions = online.find((m) => m.userId === s.userId)?.sessions ?? 0
    const body = JSON.stringify({ type, roomId, userId: s.userId, username: s.username, sessions, at: new Date(this.#deps.now()).toISOString() })
    await this.#deps.bus.publishEvent({ kind: 'presence', roomId, body })
  }

  #call (what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.#deps.log.warn({ err, what }, 'presence update failed'))
  }
}
