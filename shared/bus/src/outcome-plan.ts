import { ExchangeName, Header, retryQueueName } from '@chat/topology'
import type { DeadLetter, Outcome } from './message-bus.js'

/** How failing messages are retried: the attempts bound and the delay queues' delays. */
export interface RetryPolicy {
  /** Attempts (first try plus retries) before a message that keeps failing is dead-lettered. */
  readonly maxAttempts: number
  /** The delay queues' delays, shortest first (`TopologyOptions.retryDelaysMs`). */
  readonly retryDelaysMs: readonly number[]
}

/** What the adapter does with one delivery once its outcome is known. */
export type OutcomePlan =
  | { readonly action: 'ack' }
  | { readonly action: 'requeue' }
  | {
    /** Publish a copy (confirmed, mandatory) to `exchange`, then ack the original. */
    readonly action: 'republish'
    readonly kind: 'retry' | 'dead-letter'
    readonly exchange: string
    readonly headers: Readonly<Record<string, unknown>>
    readonly reason: string
  }

/** Headers the broker writes when it dead-letters; a copy is a new message and starts without them. */
const BROKER_HEADERS = new Set([
  'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason',
  'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason', 'x-delivery-count',
])

/** Header values travel in a 64 KiB table: a reason is cut to this many characters. */
const MAX_REASON_CHARS = 1000

/** Retries already made, from `x-retry-count` (absent, negative or malformed: 0). */
export function readRetryCount (headers: Readonly<Record<string, unknown>> | undefined): number {
  const v = headers?.[Header.RETRY_COUNT]
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : 0
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/** The delay before the retry that follows attempt `retryCount + 1`: `retryDelaysMs[min(retryCount, last)]`. */
export function retryDelayMs (retryCount: number, retryDelaysMs: readonly number[]): number {
  if (retryDelaysMs.length === 0) throw new RangeError('retryDelaysMs is empty')
  const i = Math.min(Math.max(0, retryCount), retryDelaysMs.length - 1)
  return retryDelaysMs[i] as number
}

/** The outcome of a handler that threw or rejected: a retry, with the error's message as reason. */
export function outcomeOfFailure (err: unknown): Outcome {
  const reason = err instanceof Error ? err.message : String(err)
  return { outcome: 'retry', reason: reason === '' ? 'handler failed' : reason }
}

function copyHeaders (headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(headers)) if (!BROKER_HEADERS.has(k)) out[k] = v
  return out
}

function clip (reason: string): string {
  return reason.length > MAX_REASON_CHARS ? reason.slice(0, MAX_REASON_CHARS) : reason
}

/**
 * The rules every adapter applies to an outcome (STYLE R19):
 * - `ack` → ack; `requeue` → hold and hand out again in order (see `Outcome`).
 * - `retry` with attempts (retryCount + 1) below `maxAttempts` → a copy to the delay exchange
 *   `retryQueueName(retryDelaysMs[min(retryCount, last)])` with `x-retry-count` + 1, then ack.
 * - `retry` at `maxAttempts`, or `dead-letter` → a copy to `chat.dlx` with `x-death-reason`,
 *   `x-retry-count` (retries made) and `x-origin-shard`, then ack.
 * An outcome that is not one of the four (a handler bug) counts as a retry.
 */
export function planOutcome (
  outcome: Outcome,
  delivery: { readonly retryCount: number, readonly shard: number, readonly headers: Readonly<Record<string, unknown>> },
  policy: RetryPolicy,
): OutcomePlan {
  const kind = (outcome as Partial<Outcome> | undefined)?.outcome
  switch (kind) {
    case 'ack': return { action: 'ack' }
    case 'requeue': return { action: 'requeue' }
    case 'dead-letter': return deadLetterPlan(clip((outcome as { reason: string }).reason), delivery)
    case 'retry': {
      const reason = clip((outcome as { reason: string }).reason)
      if (delivery.retryCount + 1 >= policy.maxAttempts) return deadLetterPlan(reason, delivery)
      return {
        action: 'republish',
        kind: 'retry',
        exchange: retryQueueName(retryDelayMs(delivery.retryCount, policy.retryDelaysMs)),
        headers: { ...copyHeaders(delivery.headers), [Header.RETRY_COUNT]: delivery.retryCount + 1 },
        reason,
      }
    }
    case undefined:
    default:
      return planOutcome({ outcome: 'retry', reason: `handler returned no outcome (${String(kind)})` }, delivery, policy)
  }
}

function deadLetterPlan (
  reason: string,
  delivery: { readonly retryCount: number, readonly shard: number, readonly headers: Readonly<Record<string, unknown>> },
): OutcomePlan {
  return {
    action: 'republish',
    kind: 'dead-letter',
    exchange: ExchangeName.DEAD_LETTER,
    headers: {
      ...copyHeaders(delivery.headers),
      [Header.RETRY_COUNT]: delivery.retryCount,
      [Header.DEATH_REASON]: reason,
      [Header.ORIGIN_SHARD]: delivery.shard,
    },
    reason,
  }
}

/** A message taken off `chat.dlq` as the port shows it. */
export function deadLetterOf (body: Buffer, headers: Readonly<Record<string, unknown>> | undefined): DeadLetter {
  const h = headers ?? {}
  const own = h[Header.DEATH_REASON]
  const broker = h['x-first-death-reason']
  const reason = typeof own === 'string' ? own : typeof broker === 'string' ? broker : 'unknown'
  return { body, reason, retryCount: readRetryCount(h), headers: h }
}
