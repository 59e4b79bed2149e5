import { randomBytes } from 'node:crypto'
import { newId } from '@chat/schemas'
import type { InboundMessage } from '@chat/schemas'
import type { ChatDatabase, ChatStore, UserRecord } from '../src/index.js'

/**
 * How a contract suite gets its database: `open()` returns a migrated ChatDatabase. With `sharesData`, every call
 * opens another pool on the same database (PostgreSQL), so a suite can race two connections; without it (PGlite in
 * memory) every call is a new, empty database.
 */
export interface DatabaseFactory {
  readonly open: () => Promise<ChatDatabase>
  readonly sharesData: boolean
}

/** A username no other test of the file will pick (usernames are unique per database). */
export function uniqueUsername (tag = 'user'): string {
  return `${tag}_${randomBytes(4).toString('hex')}`
}

export async function createUser (store: ChatStore, tag = 'user'): Promise<UserRecord> {
  const user = await store.users.createUser(uniqueUsername(tag), 'hash')
  if (user === 'taken') throw new Error('unique username taken')
  return user
}

let counter = 0

/** An inbound envelope as an edge would publish it; every call has a new id and clientMsgId. */
export function inbound (roomId: string, sender: UserRecord, over: Partial<InboundMessage> = {}): InboundMessage {
  counter++
  return {
    v: 1,
    id: newId(),
    roomId,
    senderId: sender.id,
    senderName: sender.username,
    type: 'TALK',
    content: `message ${counter}`,
    clientMsgId: `c-${counter}-${randomBytes(3).toString('hex')}`,
    sentAt: new Date().toISOString(),
    ...over,
  }
}

/** A uuid no row has. */
export const missingId = (): string => newId()
