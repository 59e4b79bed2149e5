import Type from 'typebox'
import { Limits, NO_NUL_PATTERN, UUID_PATTERN, USERNAME_PATTERN } from './limits.js'

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'a UUID' })
const Seq = Type.Integer({ minimum: 0, maximum: 2147483647 })

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'stable error code, see docs/errors.md' }),
  message: Type.String(),
}, { additionalProperties: false })
export type ErrorBody = Type.Static<typeof ErrorBody>

export const Username = Type.String({ pattern: USERNAME_PATTERN, minLength: Limits.minUsernameChars, maxLength: Limits.maxUsernameChars })
export const Password = Type.String({ minLength: Limits.minPasswordChars, maxLength: Limits.maxPasswordChars })

export const RegisterBody = Type.Object({ username: Username, password: Password }, { additionalProperties: false })
export type RegisterBody = Type.Static<typeof RegisterBody>
export const RegisterReply = Type.Object({ userId: Uuid, username: Type.String() })

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: Limits.maxUsernameChars, pattern: NO_NUL_PATTERN }),
  password: Type.String({ minLength: 1, maxLength: Limits.maxPasswordChars }),
  deviceId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
}, { additionalProperties: false })
export type LoginBody = Type.Static<typeof LoginBody>

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds until the access token expires' }),
  userId: Uuid,
  deviceId: Type.String({ description: 'the device these tokens belong to; send it again at the next login' }),
})
export type TokenPair = Type.Static<typeof TokenPair>

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false })
export type RefreshBody = Type.Static<typeof RefreshBody>

export const Me = Type.Object({ userId: Uuid, username: Type.String() })
export type Me = Type.Static<typeof Me>

export const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')])
export type Visibility = Type.Static<typeof Visibility>

export const CreateRoomBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: Limits.maxRoomNameChars, pattern: NO_NUL_PATTERN }),
  visibility: Type.Optional(Visibility),
}, { additionalProperties: false })
export type CreateRoomBody = Type.Static<typeof CreateRoomBody>

export const Room = Type.Object({ id: Uuid, name: Type.String(), visibility: Visibility, createdAt: Type.String({ format: 'date-time' }) })
export type Room = Type.Static<typeof Room>

export const RoomListItem = Type.Object({
  id: Uuid,
  name: Type.String(),
  visibility: Visibility,
  lastSeq: Type.Integer(),
  unread: Type.Integer(),
  member: Type.Boolean(),
})
export type RoomListItem = Type.Static<typeof RoomListItem>

export const RoomListQuery = Type.Object({
  scope: Type.Optional(Type.Union([Type.Literal('mine'), Type.Literal('public')])),
}, { additionalProperties: false })

export const RoomParams = Type.Object({ roomId: Uuid }, { additionalProperties: false })
export const UserParams = Type.Object({ userId: Uuid }, { additionalProperties: false })

export const AddMemberBody = Type.Union([
  Type.Object({ userId: Uuid }, { additionalProperties: false }),
  Type.Object({ username: Username }, { additionalProperties: false }),
])
export type AddMemberBody = Type.Static<typeof AddMemberBody>

export const PageQuery = Type.Object({
  before: Type.Optional(Seq),
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.maxPageSize, default: Limits.defaultPageSize })),
}, { additionalProperties: false })
export type PageQuery = Type.Static<typeof PageQuery>

export const SendReply = Type.Object({ id: Uuid, clientMsgId: Type.String() })
export type SendReply = Type.Static<typeof SendReply>

export const ReadBody = Type.Object({ seq: Seq }, { additionalProperties: false })
export type ReadBody = Type.Static<typeof ReadBody>

export const UnreadItem = Type.Object({ roomId: Uuid, unread: Type.Integer() })
export type UnreadItem = Type.Static<typeof UnreadItem>

export const RoomPresence = Type.Object({
  online: Type.Array(Type.Object({ userId: Uuid, username: Type.String(), sessions: Type.Integer() })),
})
export type RoomPresence = Type.Static<typeof RoomPresence>

export const UserPresence = Type.Object({
  online: Type.Boolean(),
  lastSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
export type UserPresence = Type.Static<typeof UserPresence>
