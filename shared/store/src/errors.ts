/**
 * Base of the store's errors; `code` is stable (StoreErrorCode). Thrown as is (not a subclass) for a call on a closed
 * store (STORE_ERR_CLOSED): retrying on this instance cannot help.
 */
export class StoreError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoreError'
    this.code = code
  }
}

/**
 * The database is unreachable (STORE_ERR_UNAVAILABLE), or the transaction lost a conflict (STORE_ERR_CONFLICT:
 * serialization failure, deadlock, lock timeout, a concurrent writer of the same message). Nothing of the failed
 * call was committed, except when the connection dropped after the server committed but before it answered: the
 * writes are idempotent, so retrying later, in the same order, is safe either way. The driver's error is the `cause`.
 */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError'
}

export const StoreErrorCode = {
  UNAVAILABLE: 'STORE_ERR_UNAVAILABLE',
  CONFLICT: 'STORE_ERR_CONFLICT',
  CLOSED: 'STORE_ERR_CLOSED',
} as const
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode]
