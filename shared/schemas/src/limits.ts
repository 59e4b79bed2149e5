/** Limits of SPEC sections 3 and 4 that both the REST API and the STOMP edge enforce. */
export const Limits = {
  /** Characters of a message's content. */
  maxContentChars: 8000,
  /** Characters of a client-chosen idempotency key. */
  maxClientMsgIdChars: 64,
  minUsernameChars: 3,
  maxUsernameChars: 32,
  minPasswordChars: 8,
  maxPasswordChars: 256,
  maxRoomNameChars: 100,
  maxDeviceIdChars: 64,
  /** Messages a `since-seq` resume replays before it answers `x-recovered:false`. */
  maxRecoveryMessages: 1000,
  /** Largest page of scroll-back. */
  maxPageSize: 100,
  defaultPageSize: 50,
} as const

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{3,32}$'
export const CLIENT_MSG_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$'
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
/** Text PostgreSQL can store: no U+0000. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$'
