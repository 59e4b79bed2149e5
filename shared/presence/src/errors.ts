/** Stable codes of the errors this package raises. Codes are API: branch on them, never on messages. */
export const PresenceErrorCode = {
  UNAVAILABLE: 'PRESENCE_ERR_UNAVAILABLE',
  REJECTED: 'PRESENCE_ERR_REJECTED',
  CLOSED: 'PRESENCE_ERR_CLOSED',
} as const
export type PresenceErrorCode = (typeof PresenceErrorCode)[keyof typeof PresenceErrorCode]

/** Base of every error a presence store raises. Branch on the subclass to decide what to do. */
export class PresenceError extends Error {
  readonly code: PresenceErrorCode
  constructor (code: PresenceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PresenceError'
    this.code = code
  }
}

/**
 * The backing server could not be reached, or the connection dropped before the reply came (the cause is
 * the client's error). Presence writes are idempotent: retry later, or let the next refresh do it.
 */
export class PresenceUnavailableError extends PresenceError {
  override name = 'PresenceUnavailableError'
  constructor (options?: ErrorOptions) {
    super(PresenceErrorCode.UNAVAILABLE, 'presence store is unavailable', options)
  }
}

/**
 * The server answered with an error (e.g. a key of the prefix holds the wrong type, or the server is out of
 * memory): retrying the same call will not help until someone fixes the server or the configuration.
 */
export class PresenceRejectedError extends PresenceError {
  override name = 'PresenceRejectedError'
  constructor (options?: ErrorOptions) {
    super(PresenceErrorCode.REJECTED, 'presence store rejected the command', options)
  }
}

/** The store was closed; no further call succeeds. */
export class PresenceClosedError extends PresenceError {
  override name = 'PresenceClosedError'
  constructor () {
    super(PresenceErrorCode.CLOSED, 'presence store is closed')
  }
}
