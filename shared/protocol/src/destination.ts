import { StompErrorCode } from './codes.js'

/** A destination of SPEC section 4. Room ids are lowercase UUIDs. */
export type Destination =
  | { readonly kind: 'room', readonly roomId: string } // /topic/rooms.{roomId}
  | { readonly kind: 'room-presence', readonly roomId: string } // /topic/rooms.{roomId}.presence
  | { readonly kind: 'room-typing', readonly roomId: string } // /topic/rooms.{roomId}.typing
  | { readonly kind: 'send', readonly roomId: string } // /app/rooms.{roomId}
  | { readonly kind: 'send-typing', readonly roomId: string } // /app/rooms.{roomId}.typing
  | { readonly kind: 'send-read', readonly roomId: string } // /app/rooms.{roomId}.read
  | { readonly kind: 'session-token' } // /app/session.token
  | { readonly kind: 'user-queue', readonly queue: 'notifications' | 'errors' } // /user/queue/{queue}

export type DestinationResult =
  | { readonly ok: true, readonly destination: Destination }
  | { readonly ok: false, readonly code: StompErrorCode, readonly detail: string }

/** Longest destination accepted: far above the longest valid one (60 chars), far below a header line. */
export const MAX_DESTINATION_LENGTH = 256

const HEX = '[0-9a-fA-F]'
// The whole grammar in one anchored expression: no wildcard, dot-dot, slash or space can slip through a group.
const ROOM = new RegExp(
  `^/(topic|app)/rooms\\.(${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12})(?:\\.(presence|typing|read))?$`)

const FIXED: ReadonlyMap<string, Destination> = new Map<string, Destination>([
  ['/app/session.token', { kind: 'session-token' }],
  ['/user/queue/notifications', { kind: 'user-queue', queue: 'notifications' }],
  ['/user/queue/errors', { kind: 'user-queue', queue: 'errors' }],
])

/** Parses a `destination` header value. Never throws; anything outside the grammar is `unknown-destination`. */
export function parseDestination (value: string): DestinationResult {
  if (typeof value !== 'string' || value.length > MAX_DESTINATION_LENGTH) return unknown('too long or not text')
  const fixed = FIXED.get(value)
  if (fixed !== undefined) return { ok: true, destination: fixed }
  const match = ROOM.exec(value)
  if (match === null) return unknown('not a known destination')
  const roomId = (match[2] as string).toLowerCase()
  const suffix = match[3]
  if (match[1] === 'topic') {
    if (suffix === undefined) return { ok: true, destination: { kind: 'room', roomId } }
    if (suffix === 'presence') return { ok: true, destination: { kind: 'room-presence', roomId } }
    if (suffix === 'typing') return { ok: true, destination: { kind: 'room-typing', roomId } }
    return unknown('rooms have no read topic')
  }
  if (suffix === undefined) return { ok: true, destination: { kind: 'send', roomId } }
  if (suffix === 'typing') return { ok: true, destination: { kind: 'send-typing', roomId } }
  if (suffix === 'read') return { ok: true, destination: { kind: 'send-read', roomId } }
  return unknown('presence cannot be sent to')
}

/** The canonical text of a destination (room ids lowercased): `parseDestination(formatDestination(d))` is `d`. */
export function formatDestination (d: Destination): string {
  switch (d.kind) {
    case 'room': return `/topic/rooms.${d.roomId.toLowerCase()}`
    case 'room-presence': return `/topic/rooms.${d.roomId.toLowerCase()}.presence`
    case 'room-typing': return `/topic/rooms.${d.roomId.toLowerCase()}.typing`
    case 'send': return `/app/rooms.${d.roomId.toLowerCase()}`
    case 'send-typing': return `/app/rooms.${d.roomId.toLowerCase()}.typing`
    case 'send-read': return `/app/rooms.${d.roomId.toLowerCase()}.read`
    case 'session-token': return '/app/session.token'
    case 'user-queue': return `/user/queue/${d.queue}`
  }
}

function unknown (detail: string): DestinationResult {
  return { ok: false, code: StompErrorCode.UNKNOWN_DESTINATION, detail }
}
