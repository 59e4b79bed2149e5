import type { FastifyBaseLogger } from 'fastify'
import type { MessageBus } from '@chat/bus'
import { newId, type InboundMessage } from '@chat/schemas'
import { BrokerUnavailableError } from './errors.js'

interface Who {
  readonly id: string
  readonly username: string
}

/**
 * Tells the rest of the system about membership changes: an ENTER or LEAVE message stored in the room
 * (it takes a `seq` like any other, SPEC section 3), a `members.{roomId}` event so every edge drops its
 * cached answer and stops delivering to someone who left, and per-user notifications.
 */
export class MembershipAnnouncer {
  readonly #bus: MessageBus
  readonly #log: FastifyBaseLogger

  constructor (deps: { bus: MessageBus, log: FastifyBaseLogger }) {
    this.#bus = deps.bus
    this.#log = deps.log
  }

  /**
   * After the member row is added. If the ENTER message cannot be published, `undo` removes the member
   * again and the request fails with 503, so a join is either fully visible or not at all.
   */
  async joined (roomId: string, who: Who, undo: () => Promise<unknown>): Promise<void> {
    try {
      await this.#bus.publishInbound(this.#systemMessage(roomId, who, 'ENTER'))
    } catch (err) {
      await undo().catch((undoErr: unknown) => this.#log.error({ err: undoErr, roomId }, 'could not undo a join'))
      throw new BrokerUnavailableError({ cause: err })
    }
    this.#event({ kind: 'members', roomId, body: JSON.stringify({ type: 'added', roomId, userId: who.id }) })
  }

  /** After the member row is removed: edges stop delivering at once; the LEAVE message follows in order. */
  async left (roomId: string, who: Who): Promise<void> {
    this.#event({ kind: 'members', roomId, body: JSON.stringify({ type: 'removed', roomId, userId: who.id }) })
    try {
      await this.#bus.publishInbound(this.#systemMessage(roomId, who, 'LEAVE'))
    } catch (err) {
      // The member is gone either way; only the LEAVE line in the history is missing.
      this.#log.warn({ err, roomId }, 'LEAVE message not published')
    }
  }

  invited (userId: string, body: { roomId: string, name: string, by: { userId: string, username: string } }): void {
    this.#event({ kind: 'user', userId, body: JSON.stringify({ type: 'invited', ...body }) })
  }

  unread (userId: string, body: { roomId: string, unread: number, lastReadSeq: number }): void {
    this.#event({ kind: 'user', userId, body: JSON.stringify({ type: 'unread', ...body }) })
  }

  #systemMessage (roomId: string, who: Who, type: 'ENTER' | 'LEAVE'): InboundMessage {
    return {
      v: 1,
      id: newId(),
      roomId,
      senderId: who.id,
      senderName: who.username,
      type,
      content: type === 'ENTER' ? `${who.username} joined` : `${who.username} left`,
      clientMsgId: `${type.toLowerCase()}:${newId()}`,
      sentAt: new Date().toISOString(),
    }
  }

  #event (event: Parameters<MessageBus['publishEvent']>[0]): void {
    this.#bus.publishEvent(event).catch((err: unknown) => this.#log.warn({ err, kind: event.kind }, 'event not published'))
  }
}
