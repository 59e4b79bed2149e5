// The shapes the page receives and sends, as SPEC sections 3 and 4 define them. Written out here rather than
// imported from @chat/schemas: the page speaks to the system only through the published contract, and the
// bundle stays free of server code.

/** A stored message: a REST page item and the body of a room MESSAGE frame. */
export interface ChatMessage {
  readonly id: string
  readonly roomId: string
  readonly seq: number
  readonly senderId: string
  readonly senderName: string
  readonly type: 'TALK' | 'ENTER' | 'LEAVE'
  readonly content: string
  readonly clientMsgId: string
  readonly sentAt: string
}

export interface MessagePage {
  readonly messages: readonly ChatMessage[]
  readonly hasMore: boolean
}

export type Visibility = 'public' | 'private'

/** An item of `GET /api/rooms` (mine or public). */
export interface RoomListItem {
  readonly id: string
  readonly name: string
  readonly visibility: Visibility
  readonly lastSeq: number
  readonly unread: number
  readonly member?: boolean
}

export interface TokenPair {
  readonly accessToken: string
  readonly refreshToken: string
  /** Seconds until the access token expires. */
  readonly expiresIn: number
  readonly userId: string
}

export interface Me {
  readonly userId: string
  readonly username: string
}

export interface OnlineMember {
  readonly userId: string
  readonly username: string
  readonly sessions: number
}

/** `/topic/rooms.{id}.presence`: a leave with `sessions: 0` means the user is gone. */
export interface PresenceEvent {
  readonly type: 'join' | 'leave'
  readonly roomId: string
  readonly userId: string
  readonly username: string
  readonly sessions: number
  readonly at: string
}

/** `/topic/rooms.{id}.typing`. */
export interface TypingEvent {
  readonly type: 'typing'
  readonly roomId: string
  readonly userId: string
  readonly username: string
  readonly at: string
}

/** `/user/queue/notifications`. */
export type Notification =
  | { readonly type: 'unread', readonly roomId: string, readonly unread: number, readonly lastReadSeq: number }
  | { readonly type: 'invited', readonly roomId: string, readonly name: string, readonly by: { readonly userId: string, readonly username: string } }
  | { readonly type: 'removed', readonly roomId: string }

/** `/user/queue/errors`: a frame that failed while the connection stayed open. */
export interface QueuedError {
  readonly code: string
  readonly message: string
  readonly receiptId: string | null
  readonly clientMsgId?: string
}

/** Destinations of SPEC section 4. */
export const dest = {
  room: (roomId: string) => `/topic/rooms.${roomId}`,
  presence: (roomId: string) => `/topic/rooms.${roomId}.presence`,
  typing: (roomId: string) => `/topic/rooms.${roomId}.typing`,
  send: (roomId: string) => `/app/rooms.${roomId}`,
  sendTyping: (roomId: string) => `/app/rooms.${roomId}.typing`,
  sendRead: (roomId: string) => `/app/rooms.${roomId}.read`,
  sessionToken: '/app/session.token',
  notifications: '/user/queue/notifications',
  errors: '/user/queue/errors',
} as const

/** Parses a JSON body the server sent; undefined for anything that is not an object. */
export function parseBody<T> (body: string): T | undefined {
  try {
    const v = JSON.parse(body) as unknown
    return typeof v === 'object' && v !== null ? v as T : undefined
  } catch {
    return undefined
  }
}
