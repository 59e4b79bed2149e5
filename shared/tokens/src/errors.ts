import { gradedErrors } from '@chat/redis'

const graded = gradedErrors({ prefix: 'TOKENS', name: 'TokenStore', subject: 'token store' })

/** Stable codes of the errors the token stores raise. Codes are API: branch on them, never on messages. */
export const TokenStoreErrorCode = graded.codes
export type TokenStoreErrorCode = (typeof TokenStoreErrorCode)[keyof typeof TokenStoreErrorCode]

/** Base of every error a token store raises. Branch on the subclass to decide what to do. */
export const TokenStoreError = graded.StoreError
export type TokenStoreError = InstanceType<typeof TokenStoreError>

/**
 * The backing server could not be reached, or the connection dropped before the reply came (the cause is
 * the client's error). Every call is idempotent: retry later. A CONNECT that cannot read the version may
 * fall back to the database, the source of truth.
 */
export const TokenStoreUnavailableError = graded.UnavailableError
export type TokenStoreUnavailableError = InstanceType<typeof TokenStoreUnavailableError>

/** The server answered with an error (wrong key type, out of memory, scripts disabled): retrying will not help. */
export const TokenStoreRejectedError = graded.RejectedError
export type TokenStoreRejectedError = InstanceType<typeof TokenStoreRejectedError>

/** The store was closed; no further call succeeds. */
export const TokenStoreClosedError = graded.ClosedError
export type TokenStoreClosedError = InstanceType<typeof TokenStoreClosedError>
