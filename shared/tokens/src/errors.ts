import { gradedErrors } from '@chat/redis'

/**
 * The errors the token stores raise, graded by what the caller should do (`gradedErrors`), with stable codes
 * `TOKENS_ERR_*` (API: branch on them, never on messages). `TokenStoreError` is the base of them all.
 * - `TokenStoreUnavailableError`: the server could not be reached, or the connection dropped before the reply.
 *   Every call is idempotent: retry later. A CONNECT that cannot read the version falls back to the database.
 * - `TokenStoreRejectedError`: the server answered with an error (wrong key type, out of memory, scripts disabled).
 * - `TokenStoreClosedError`: the store was closed; no further call succeeds.
 */
const graded = gradedErrors({ prefix: 'TOKENS', name: 'TokenStore', subject: 'token store' })
export const { codes: TokenStoreErrorCode, StoreError: TokenStoreError, UnavailableError: TokenStoreUnavailableError } = graded
export const { RejectedError: TokenStoreRejectedError, ClosedError: TokenStoreClosedError } = graded
export type TokenStoreErrorCode = (typeof TokenStoreErrorCode)[keyof typeof TokenStoreErrorCode]
export type TokenStoreError = InstanceType<typeof TokenStoreError>
export type TokenStoreUnavailableError = InstanceType<typeof TokenStoreUnavailableError>
export type TokenStoreRejectedError = InstanceType<typeof TokenStoreRejectedError>
export type TokenStoreClosedError = InstanceType<typeof TokenStoreClosedError>
