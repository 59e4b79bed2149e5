/** Base of every error the bus raises. `code` is stable; branch on the subclass to decide what to do. */
export class BusError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BusError'
    this.code = code
  }
}

/**
 * The broker is unreachable and the publish could not wait any longer (its buffer is full or its
 * deadline passed), or the connection dropped before the confirm came. The message may or may not have
 * been stored by the broker: retry it with the same idempotency key.
 */
export class BusUnavailableError extends BusError {
  override name = 'BusUnavailableError'
}

/** The broker refused the message: nacked, or returned it as unroutable. Retrying the same message will not help. */
export class BusRejectedError extends BusError {
  override name = 'BusRejectedError'
}

/** The bus was closed; no further calls succeed. */
export class BusClosedError extends BusError {
  override name = 'BusClosedError'
}

export const BusErrorCode = {
  UNAVAILABLE: 'BUS_ERR_UNAVAILABLE',
  BUFFER_FULL: 'BUS_ERR_BUFFER_FULL',
  TIMEOUT: 'BUS_ERR_TIMEOUT',
  NACKED: 'BUS_ERR_NACKED',
  UNROUTABLE: 'BUS_ERR_UNROUTABLE',
  CLOSED: 'BUS_ERR_CLOSED',
} as const
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode]
