/**
 * The three grades of failure of a store backed by a server, by what the caller should do: the server could not be
 * reached or the connection dropped before the reply (retry later), the server answered with an error (retrying
 * will not help), the store was closed. Each store package names them with its own prefix and codes
 * (`PRESENCE_ERR_*`, `TOKENS_ERR_*`): codes are API, documented in docs/errors.md.
 */
export function gradedErrors<P extends string> (o: { readonly prefix: P, readonly name: string, readonly subject: string }) {
  const codes = Object.freeze({
    UNAVAILABLE: `${o.prefix}_ERR_UNAVAILABLE`,
    REJECTED: `${o.prefix}_ERR_REJECTED`,
    CLOSED: `${o.prefix}_ERR_CLOSED`,
  } as const)
  type Code = (typeof codes)[keyof typeof codes]

  class StoreError extends Error {
    readonly code: Code
    constructor (code: Code, message: string, options?: ErrorOptions) {
      super(message, options)
      this.name = `${o.name}Error`
      this.code = code
    }
  }
  class UnavailableError extends StoreError {
    constructor (options?: ErrorOptions) {
      super(codes.UNAVAILABLE, `${o.subject} is unavailable`, options)
      this.name = `${o.name}UnavailableError`
    }
  }
  class RejectedError extends StoreError {
    constructor (options?: ErrorOptions) {
      super(codes.REJECTED, `${o.subject} rejected the command`, options)
      this.name = `${o.name}RejectedError`
    }
  }
  class ClosedError extends StoreError {
    constructor () {
      super(codes.CLOSED, `${o.subject} is closed`)
      this.name = `${o.name}ClosedError`
    }
  }
  return { codes, StoreError, UnavailableError, RejectedError, ClosedError }
}

/** A reply error means the server refused; anything else (closed connection, retries exhausted, timeout) means unreachable. */
export function isRedisRefusal (err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError'
}
