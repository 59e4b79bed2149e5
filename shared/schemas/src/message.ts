import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { CLIENT_MSG_ID_PATTERN, Limits, NO_NUL_PATTERN, UUID_PATTERN } from './limits.js'

export const MessageType = { TALK: 'TALK', ENTER: 'ENTER', LEAVE: 'LEAVE' } as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

const Uuid = Type.String({ pattern: UUID_PATTERN })

/** A stored message, as REST returns it and as a STOMP MESSAGE frame carries it. */
export const ChatMessage = Type.Object({
  id: Uuid,
  roomId: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  senderId: Uuid,
  senderName: Type.String(),
  type: Type.Union([Type.Literal('TALK'), Type.Literal('ENTER'), Type.Literal('LEAVE')]),
  content: Type.String(),
  clientMsgId: Type.String(),
  sentAt: Type.String({ format: 'date-time' }),
}, { additionalProperties: false })
export type ChatMessage = Type.Static<typeof ChatMessage>

/**
 * What a client sends: the body of `SEND /app/rooms.{id}` and of `POST /api/rooms/:id/messages`.
 * Only `TALK` may come from a client; `ENTER` and `LEAVE` are written by the system on join and leave.
 */
export const SendMessageBody = Type.Object({
  content: Type.String({ minLength: 1, maxLength: Limits.maxContentChars, pattern: NO_NUL_PATTERN }),
  type: Type.Optional(Type.Literal('TALK')),
  clientMsgId: Type.Optional(Type.String({ pattern: CLIENT_MSG_ID_PATTERN })),
}, { additionalProperties: false })
export type SendMessageBody = Type.Static<typeof SendMessageBody>

/**
 * The envelope an edge or the REST API publishes to `chat.inbound` and the dispatcher consumes.
 * `id` is chosen by the publisher (a UUIDv7); when a resend finds the message already stored,
 * the stored message keeps its first `id`. `v` lets the format change without breaking old queues.
 */
export const InboundMessage = Type.Object({
  v: Type.Literal(1),
  id: Uuid,
  roomId: Uuid,
  senderId: Uuid,
  senderName: Type.String({ minLength: 1, maxLength: Limits.maxUsernameChars }),
  type: Type.Union([Type.Literal('TALK'), Type.Literal('ENTER'), Type.Literal('LEAVE')]),
  content: Type.String({ maxLength: Limits.maxContentChars, pattern: NO_NUL_PATTERN }),
  clientMsgId: Type.String({ pattern: CLIENT_MSG_ID_PATTERN }),
  sentAt: Type.String({ format: 'date-time' }),
}, { additionalProperties: false })
export type InboundMessage = Type.Static<typeof InboundMessage>

const inboundValidator = Compile(InboundMessage)
const sendBodyValidator = Compile(SendMessageBody)

export type Decoded<T> =
  | { readonly ok: true, readonly value: T }
  | { readonly ok: false, readonly detail: string }

function decodeJson<T> (bytes: Uint8Array | string, check: (v: unknown) => v is T, what: string): Decoded<T> {
  let value: unknown
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  } catch {
    return { ok: false, detail: `${what} is not JSON` }
  }
  if (!check(value)) return { ok: false, detail: `${what} does not match its schema` }
  return { ok: true, value }
}

/** Decodes an inbound envelope from the bus. Never throws. */
export function decodeInboundMessage (bytes: Uint8Array | string): Decoded<InboundMessage> {
  return decodeJson(bytes, (v): v is InboundMessage => inboundValidator.Check(v), 'inbound message')
}

/** Decodes and validates a client's send body (STOMP SEND). Never throws. */
export function decodeSendBody (text: string): Decoded<SendMessageBody> {
  return decodeJson(text, (v): v is SendMessageBody => sendBodyValidator.Check(v), 'message body')
}

/** The JSON of a stored message, the exact body of a STOMP MESSAGE frame. */
export function encodeChatMessage (m: ChatMessage): string {
  // Field order fixed by hand: cheaper than a generic serializer and stable for clients that diff bodies.
  return JSON.stringify({
    id: m.id,
    roomId: m.roomId,
    seq: m.seq,
    senderId: m.senderId,
    senderName: m.senderName,
    type: m.type,
    content: m.content,
    clientMsgId: m.clientMsgId,
    sentAt: m.sentAt,
  })
}
