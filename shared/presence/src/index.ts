export { PresenceClosedError } from './errors.js'
export { systemClock } from './presence-store.js'
export type { PresenceStore, PresenceSession, RoomMemberOnline, UserStatus, Clock } from './presence-store.js'
