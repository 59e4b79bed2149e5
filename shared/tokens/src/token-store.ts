/** Called with the device and its new version: tokens of the device with a lower `ver` are revoked. */
export type RevocationHandler = (deviceId: string, version: number) => void

/**
 * The current token version of each device, and a broadcast that tells every edge to close the sessions
 * of a device whose tokens were revoked. The database is the source of truth for versions; this store is
 * the fast path edges read on every CONNECT, so it may not know a device (then the caller asks the
 * database and calls `setVersion`).
 *
 * A version is a positive safe integer; another value rejects with a RangeError. Infrastructure failures
 * reject with `TokenStoreUnavailableError` (retry later) or `TokenStoreRejectedError` (retrying will not help).
 */
export interface TokenStore {
  /** The device's version, or undefined when this store does not know it (never seen, or expired). */
  getVersion (deviceId: string): Promise<number | undefined>
  /** Records the version; never lowers a known one (a late write cannot resurrect revoked tokens). Atomic. */
  setVersion (deviceId: string, version: number): Promise<void>
  /**
   * Records `version` as the device's version (never lowering it, as `setVersion`) and tells every
   * subscriber, in every process, that tokens of the device below the device's version are revoked: the
   * handlers receive the version now stored, which is the higher of `version` and the one known before.
   * Resolves once published.
   */
  revoke (deviceId: string, version: number): Promise<void>
  /**
   * Subscribes to revocations from any process, including this one; returns the (idempotent) unsubscribe
   * function. Handlers run in registration order; one that throws is logged and does not stop the others.
   * Delivery is at most once: a revocation published while this process cannot hear the broadcast (not
   * subscribed yet, or reconnecting) is lost, so CONNECT must still compare the token's `ver` with
   * `getVersion`. Throws TokenStoreClosedError after `close()`.
   */
  onRevoke (handler: RevocationHandler): () => void
  /**
   * Registers a callback run when revocations may have been missed: the broadcast was interrupted (a Redis
   * restart, a Sentinel failover) and is heard again. Revocations are in the database too, so the caller
   * re-checks the devices of its live sessions there (`DeviceVersions.fromDatabase`). Returns the (idempotent)
   * unregister function. A store whose broadcast cannot be interrupted (memory) never calls it.
   * Throws TokenStoreClosedError after `close()`.
   */
  onResubscribed (handler: () => void): () => void
  /** Releases connections and drops the handlers. Idempotent. Later calls reject with TokenStoreClosedError. */
  close (): Promise<void>
}
