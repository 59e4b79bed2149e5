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
 * The broker is unreachable and the operation could not wait any longer (its buffer is full or its
 * deadline passed), or the connection dropped before the confirm came. The message may or may not have
 * been stored by the broker: retry it with the same idempotency key.
 */
export class BusUnavailableError extends BusError {
  override name = 'BusUnavailableError'
}

/**
 * The broker refused the operation: a nack, an unroutable return, a topology that does not match
 * what is declared, refused credentials. Retrying the same operation will not help.
 */
export class BusRejectedError extends BusError {
  override name = 'BusRejectedError'
}

/** The bus was closed; no further calls succeed. */
export class BusClosedError extends BusError {
  override name = 'BusClosedError'
}

/**
 * Stable error codes. API: assert on them, never on message text.
 * - `UNAVAILABLE` (BusUnavailableError): the broker could not be reached, or the connection dropped
 *   before the confirm came.
 * - `BUFFER_FULL` (BusUnavailableError): `publishBufferSize` publishes already wait for a confirm or
 *   for the connection; refused at once.
 * - `TIMEOUT` (BusUnavailableError): no confirm within `publishTimeoutMs`.
 * - `NACKED` (BusRejectedError): the broker nacked the publish (an internal error or a full queue).
 * - `UNROUTABLE` (BusRejectedError): a mandatory publish reached no queue (basic.return).
 * - `TOPOLOGY_MISMATCH` (BusRejectedError): declaring the topology failed, e.g. a queue exists with
 *   other arguments (PRECONDITION_FAILED).
 * - `ACCESS_REFUSED` (BusRejectedError): the broker refused the credentials or the virtual host.
 * - `ALREADY_CONSUMING` (BusRejectedError): `consumeInbound` while this bus already has an open consumer.
 * - `CLOSED` (BusClosedError): the bus was closed.
 */
export const BusErrorCode = {
  UNAVAILABLE: 'BUS_ERR_UNAVAILABLE',
  BUFFER_FULL: 'BUS_ERR_BUFFER_FULL',
  TIMEOUT: 'BUS_ERR_TIMEOUT',
  NACKED: 'BUS_ERR_NACKED',
  UNROUTABLE: 'BUS_ERR_UNROUTABLE',
  TOPOLOGY_MISMATCH: 'BUS_ERR_TOPOLOGY_MISMATCH',
  ACCESS_REFUSED: 'BUS_ERR_ACCESS_REFUSED',
  ALREADY_CONSUMING: 'BUS_ERR_ALREADY_CONSUMING',
  CLOSED: 'BUS_ERR_CLOSED',
} as const
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode]

/** The error every call on a closed bus rejects with. */
export function closedError (): BusClosedError {
  return new BusClosedError(BusErrorCode.CLOSED, 'the message bus is closed')
}
