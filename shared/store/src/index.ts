export { StoreError, StoreUnavailableError, StoreErrorCode } from './errors.js'
export { createChatStore } from './chat-store.js'
export {
  users, devices, refreshFamilies, refreshTokens, rooms, roomMembers, messages,
} from './schema.js'
export type {
  UserRow, DeviceRow, RefreshFamilyRow, RefreshTokenRow, RoomRow, RoomMemberRow, MessageRow,
} from './schema.js'
export type { ChatDatabase, ChatDb, Dialect } from './database.js'
export type { SqlClient, SqlQueryable } from './sql-client.js'
export type {
  ChatStore, MessageStore, RoomStore, UserStore, PersistResult, MessagePage, RoomRecord, UserRecord,
  DeviceRecord, RotateResult,
} from './ports.js'
