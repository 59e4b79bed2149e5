/**
 * Stable codes of STOMP `ERROR` frames (header `message`, repeated as header `code`) and of
 * `/user/queue/errors` (header `code`). Codes are API: never rename one. docs/protocol.md lists them.
 */
export const StompErrorCode = {
  // The frame itself is bad: the parser says so, the session sends ERROR and closes.
  MALFORMED_FRAME: 'malformed-frame',
  UNKNOWN_COMMAND: 'unknown-command',
  FRAME_TOO_LARGE: 'frame-too-large',
  TOO_MANY_HEADERS: 'too-many-headers',
  HEADER_TOO_LONG: 'header-too-long',
  INVALID_ESCAPE: 'invalid-escape',
  INVALID_CONTENT_LENGTH: 'invalid-content-length',
  BUFFER_OVERFLOW: 'buffer-overflow',
  // The session's state or rules: ERROR and close.
  NOT_CONNECTED: 'not-connected',
  ALREADY_CONNECTED: 'already-connected',
  MISSING_HEADER: 'missing-header',
  UNSUPPORTED_VERSION: 'unsupported-version',
  UNAUTHORIZED: 'unauthorized',
  TOKEN_EXPIRED: 'token-expired',
  TOKEN_REVOKED: 'token-revoked',
  UNKNOWN_DESTINATION: 'unknown-destination',
  DUPLICATE_SUBSCRIPTION: 'duplicate-subscription',
  TOO_MANY_SUBSCRIPTIONS: 'too-many-subscriptions',
  UNKNOWN_TRANSACTION: 'unknown-transaction',
  DUPLICATE_TRANSACTION: 'duplicate-transaction',
  LOGIN_TIMEOUT: 'login-timeout',
  HEARTBEAT_TIMEOUT: 'heartbeat-timeout',
  SLOW_CONSUMER: 'slow-consumer',
  SERVER_SHUTDOWN: 'server-shutdown',
  // A frame failed but the connection stays open: answered on /user/queue/errors.
  FORBIDDEN: 'forbidden',
  INVALID_BODY: 'invalid-body',
  RATE_LIMITED: 'rate-limited',
  BROKER_UNAVAILABLE: 'broker-unavailable',
  BROKER_REJECTED: 'broker-rejected',
  UNKNOWN_SUBSCRIPTION: 'unknown-subscription',
  /** A dependency (database, token store) did not answer: try again shortly. */
  UNAVAILABLE: 'unavailable',
  INTERNAL_ERROR: 'internal-error',
} as const
export type StompErrorCode = (typeof StompErrorCode)[keyof typeof StompErrorCode]

/**
 * WebSocket close codes the edge sends (4000–4999 are private-use per RFC 6455).
 * 4000–4499: terminal — the client must change something before reconnecting.
 * 4500–4999: transient — reconnect with backoff (after `reconnect-after-ms` when given).
 */
export const CloseCode = {
  NORMAL: 1000,
  PROTOCOL_ERROR: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  LOGIN_TIMEOUT: 4408,
  TOO_LARGE: 4413,
  SERVER_RESTART: 4500,
  HEARTBEAT_TIMEOUT: 4502,
  OVERLOADED: 4503,
  SLOW_CONSUMER: 4504,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]
