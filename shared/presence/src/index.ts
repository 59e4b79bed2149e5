export {
  PresenceError, PresenceUnavailableError, PresenceRejectedError, PresenceClosedError, PresenceErrorCode,
} from './errors.js'
export { systemClock } from './presence-store.js'
export type { PresenceStore, PresenceSession, RoomMemberOnline, UserStatus, Clock } from './presence-store.js'
export { MemoryPresenceStore } from './presence-store.memory.js'
export type { MemoryPresenceStoreOptions } from './presence-store.memory.js'
