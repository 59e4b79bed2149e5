import { gradedErrors } from '@chat/redis'

const graded = gradedErrors({ prefix: 'PRESENCE', name: 'Presence', subject: 'presence store' })

/** Stable codes of the errors this package raises. Codes are API: branch on them, never on messages. */
export const PresenceErrorCode = graded.codes
export type PresenceErrorCode = (typeof PresenceErrorCode)[keyof typeof PresenceErrorCode]

/** Base of every error a presence store raises. Branch on the subclass to decide what to do. */
export const PresenceError = graded.StoreError
export type PresenceError = InstanceType<typeof PresenceError>

/**
 * The backing server could not be reached, or the connection dropped before the reply came (the cause is
 * the client's error). Presence writes are idempotent: retry later, or let the next refresh do it.
 */
export const PresenceUnavailableError = graded.UnavailableError
export type PresenceUnavailableError = InstanceType<typeof PresenceUnavailableError>

/**
 * The server answered with an error (e.g. a key of the prefix holds the wrong type, or the server is out of
 * memory): retrying the same call will not help until someone fixes the server or the configuration.
 */
export const PresenceRejectedError = graded.RejectedError
export type PresenceRejectedError = InstanceType<typeof PresenceRejectedError>

/** The store was closed; no further call succeeds. */
export const PresenceClosedError = graded.ClosedError
export type PresenceClosedError = InstanceType<typeof PresenceClosedError>
