/** Stable codes of the errors the token stores raise. Codes are API: branch on them, never on messages. */
export const TokenStoreErrorCode = {
  UNAVAILABLE: 'TOKENS_ERR_UNAVAILABLE',
  REJECTED: 'TOKENS_ERR_REJECTED',
  CLOSED: 'TOKENS_ERR_CLOSED',
} as const
export type TokenStoreErrorCode = (typeof TokenStoreErrorCode)[keyof typeof TokenStoreErrorCode]

/** Base of every error a token store raises. Branch on the subclass to decide what to do. */
export class TokenStoreError extends Error {
  readonly code: TokenStoreErrorCode
  constructor (code: TokenStoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TokenStoreError'
    this.code = code
  }
}

/**
 * The backing server could not be reached, or the connection dropped before the reply came (the cause is
 * the client's error). Every call is idempotent: retry later. A CONNECT that cannot read the version may
 * fall back to the database, the source of truth.
 */
export class TokenStoreUnavailableError extends TokenStoreError {
  override name = 'TokenStoreUnavailableError'
  constructor (options?: ErrorOptions) {
    super(TokenStoreErrorCode.UNAVAILABLE, 'token store is unavailable', options)
  }
}

/** The server answered with an error (wrong key type, out of memory, scripts disabled): retrying will not help. */
export class TokenStoreRejectedError extends TokenStoreError {
  override name = 'TokenStoreRejectedError'
  constructor (options?: ErrorOptions) {
    super(TokenStoreErrorCode.REJECTED, 'token store rejected the command', options)
  }
}

/** The store was closed; no further call succeeds. */
export class TokenStoreClosedError extends TokenStoreError {
  override name = 'TokenStoreClosedError'
  constructor () {
    super(TokenStoreErrorCode.CLOSED, 'token store is closed')
  }
}
