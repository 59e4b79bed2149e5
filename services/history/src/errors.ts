import createError from '@fastify/error'
import { ChatErrorCode } from '@chat/schemas'

// Codes are API (SPEC section 3 and docs/errors.md): clients branch on them, tests assert on them.
export const UnauthorizedError = createError(ChatErrorCode.UNAUTHORIZED, 'missing or invalid access token', 401)
export const TokenExpiredError = createError(ChatErrorCode.TOKEN_EXPIRED, 'the access token has expired', 401)
export const TokenRevokedError = createError(ChatErrorCode.TOKEN_REVOKED, 'the access token was revoked', 401)
export const InvalidCredentialsError = createError(ChatErrorCode.INVALID_CREDENTIALS, 'wrong username or password', 401)
export const RefreshInvalidError = createError(ChatErrorCode.REFRESH_INVALID, 'the refresh token is not valid', 401)
export const RefreshReusedError = createError(ChatErrorCode.REFRESH_REUSED, 'the refresh token was already used; the device was signed out', 401)
export const UsernameTakenError = createError(ChatErrorCode.USERNAME_TAKEN, 'that username is taken', 409)
export const UserNotFoundError = createError(ChatErrorCode.USER_NOT_FOUND, 'no such user', 404)
export const RoomNotFoundError = createError(ChatErrorCode.ROOM_NOT_FOUND, 'no such room', 404)
export const RoomForbiddenError = createError(ChatErrorCode.ROOM_FORBIDDEN, 'you are not a member of this room', 403)
export const RoomPrivateError = createError(ChatErrorCode.ROOM_PRIVATE, 'this room is private: a member must add you', 403)
export const LoginRateLimitedError = createError<[retryAfterSeconds: string]>(ChatErrorCode.RATE_LIMITED, 'too many login attempts; retry in %s seconds', 429)
export const BadRequestError = createError<[string]>(ChatErrorCode.BAD_REQUEST, '%s', 400)
export const BrokerUnavailableError = createError(ChatErrorCode.BROKER_UNAVAILABLE, 'the message broker is unavailable; retry with the same clientMsgId', 503)
export const BrokerRejectedError = createError(ChatErrorCode.BROKER_REJECTED, 'the message broker refused the message', 503)
export const UnavailableError = createError(ChatErrorCode.UNAVAILABLE, 'a dependency is unavailable; retry later', 503)
