/** Base of the store's errors. */
export class StoreError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoreError'
    this.code = code
  }
}

/**
 * The database is unreachable, or the transaction lost a conflict (serialization failure, deadlock,
 * lock timeout). Nothing of the failed call was committed. Safe to retry later, in the same order.
 */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError'
}

export const StoreErrorCode = {
  UNAVAILABLE: 'STORE_ERR_UNAVAILABLE',
  CONFLICT: 'STORE_ERR_CONFLICT',
  CLOSED: 'STORE_ERR_CLOSED',
} as const
