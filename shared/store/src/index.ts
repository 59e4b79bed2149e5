export { StoreError, StoreUnavailableError, StoreErrorCode } from './errors.js'
export type {
  ChatStore, MessageStore, RoomStore, UserStore, PersistResult, MessagePage, RoomRecord, UserRecord,
  DeviceRecord, RotateResult,
} from './ports.js'
