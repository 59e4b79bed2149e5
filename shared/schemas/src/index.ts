export { Limits, USERNAME_PATTERN, CLIENT_MSG_ID_PATTERN, UUID_PATTERN, NO_NUL_PATTERN } from './limits.js'
export {
  MessageType, ChatMessage, SendMessageBody, InboundMessage,
  decodeInboundMessage, decodeSendBody, encodeChatMessage,
} from './message.js'
export type { Decoded } from './message.js'
export {
  ErrorBody, Username, Password, RegisterBody, RegisterReply, LoginBody, TokenPair, RefreshBody, Me,
  Visibility, CreateRoomBody, Room, RoomListItem, RoomListQuery, RoomParams, UserParams, AddMemberBody,
  PageQuery, SendReply, ReadBody, UnreadItem, RoomPresence, UserPresence,
} from './rest.js'
export { ChatErrorCode } from './error-codes.js'
export { isUuid, newId } from './ids.js'
