import { gradedErrors } from '@chat/redis'

/**
 * The errors a presence store raises, graded by what the caller should do (`gradedErrors`), with stable codes
 * `PRESENCE_ERR_*` (API: branch on them, never on messages). `PresenceError` is the base of them all.
 * - `PresenceUnavailableError`: the server could not be reached, or the connection dropped before the reply (the
 *   cause is the client's error). Presence writes are idempotent: retry later, or let the next refresh do it.
 * - `PresenceRejectedError`: the server answered with an error (a key of the prefix holds the wrong type, the
 *   server is out of memory): retrying will not help until someone fixes the server or the configuration.
 * - `PresenceClosedError`: the store was closed; no further call succeeds.
 */
const graded = gradedErrors({ prefix: 'PRESENCE', name: 'Presence', subject: 'presence store' })
export const { codes: PresenceErrorCode, StoreError: PresenceError, UnavailableError: PresenceUnavailableError } = graded
export const { RejectedError: PresenceRejectedError, ClosedError: PresenceClosedError } = graded
export type PresenceErrorCode = (typeof PresenceErrorCode)[keyof typeof PresenceErrorCode]
export type PresenceError = InstanceType<typeof PresenceError>
export type PresenceUnavailableError = InstanceType<typeof PresenceUnavailableError>
export type PresenceRejectedError = InstanceType<typeof PresenceRejectedError>
export type PresenceClosedError = InstanceType<typeof PresenceClosedError>
