import { DrizzleQueryError } from 'drizzle-orm'
import { StoreError, StoreErrorCode, StoreUnavailableError } from './errors.js'

/** The unique constraint `(room_id, sender_id, client_msg_id)` on messages (schema.ts). */
export const MESSAGES_IDEMPOTENCY_KEY = 'messages_idempotency_key'

// Node socket errors and postgres.js's own connection errors: the server is not there (yet, or any more).
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
])

// SQLSTATEs of a server that is going away or cannot take us now; classes 08 and 53 are checked by prefix.
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, or in recovery)
  '57014', // query_canceled: statement_timeout, or a cancel request
])

// SQLSTATEs of a transaction that lost to a concurrent one; running it again is expected to succeed.
const CONFLICT_STATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout, NOWAIT)
])

interface ErrorFields { code?: unknown, constraint_name?: unknown, constraint?: unknown, cause?: unknown }

function fieldsOf (err: unknown): ErrorFields | undefined {
  return typeof err === 'object' && err !== null ? err as ErrorFields : undefined
}

/** The driver's error under drizzle's `DrizzleQueryError` (and any other wrapper that sets `cause`). */
function driverError (err: unknown): unknown {
  let current = err
  for (let depth = 0; depth < 5; depth++) {
    const f = fieldsOf(current)
    if (f === undefined || typeof f.code === 'string' || f.cause === undefined) return current
    current = f.cause
  }
  return current
}

/**
 * Grades a failure by what the caller should do. Connection loss (socket errors, postgres.js
 * CONNECTION_CLOSED/ENDED/DESTROYED/CONNECT_TIMEOUT, SQLSTATE classes 08 and 53, 57P01/57P02/57P03, 57014) becomes
 * `StoreUnavailableError` STORE_ERR_UNAVAILABLE; a lost race (40001, 40P01, 55P03, and 23505 on the messages
 * idempotency key, which only a concurrent writer of the same message can cause) becomes `StoreUnavailableError`
 * STORE_ERR_CONFLICT. Both carry the driver's error as `cause`. Anything else is a bug or bad input that retrying
 * will not fix: returned as the driver's error too. Never drizzle's `DrizzleQueryError`, whose message lists the
 * parameters (message contents, password hashes), which must not reach a log.
 */
export function classifyError (err: unknown): unknown {
  if (err instanceof StoreError) return err
  const cause = driverError(err)
  const f = fieldsOf(cause)
  const code = typeof f?.code === 'string' ? f.code : undefined
  if (code === undefined) return err instanceof DrizzleQueryError ? cause : err
  if (CONNECTION_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08') || code.startsWith('53')) {
    return new StoreUnavailableError(StoreErrorCode.UNAVAILABLE, `database unavailable (${code})`, { cause })
  }
  if (CONFLICT_STATES.has(code)) {
    return new StoreUnavailableError(StoreErrorCode.CONFLICT, `transaction lost a conflict (${code})`, { cause })
  }
  if (code === '23505' && (f?.constraint_name ?? f?.constraint) === MESSAGES_IDEMPOTENCY_KEY) {
    return new StoreUnavailableError(StoreErrorCode.CONFLICT, 'a concurrent writer stored the same message', { cause })
  }
  return cause
}

/** Shared by the three stores of one ChatStore: refuses calls after close() and classifies every failure. */
export class StoreGuard {
  #isClosed = false

  get isClosed (): boolean {
    return this.#isClosed
  }

  close (): void {
    this.#isClosed = true
  }

  async run<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#isClosed) throw new StoreError(StoreErrorCode.CLOSED, 'the store is closed')
    try {
      return await fn()
    } catch (err) {
      throw classifyError(err)
    }
  }
}
