/**
 * How many SENDs a user may make (SPEC section 4 limits, per user): a token bucket of `ratePerSecond` tokens a
 * second up to `burst`, one per user whatever the number of their sessions. An adapter that shares its state
 * between processes (Redis) makes that hold across every edge; the memory adapter holds it within one process.
 */
export interface SendLimiter {
  /**
   * Takes one token of the user's bucket: true when there was one (the SEND may go), false when there was not
   * (nothing is taken). Synchronous, so a SEND never waits on it: an adapter sharing its state between processes
   * answers from what this process knows and settles with the shared state in the background (see its docs for
   * how far a user may overshoot meanwhile). Never throws.
   */
  take (userId: string): boolean
  /** Releases what the limiter holds (a connection it opened). Idempotent. */
  close (): Promise<void>
}

/** Options every SendLimiter adapter takes. */
export interface SendLimitOptions {
  /** Tokens a second a user's bucket refills by (SEND_RATE). @default 20 in the edge's configuration */
  readonly ratePerSecond: number
  /** Size of a user's bucket: SENDs a user may make at once (SEND_BURST). @default 40 in the edge's configuration */
  readonly burst: number
}
