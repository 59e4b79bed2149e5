export type RevocationHandler = (deviceId: string, version: number) => void

/**
 * The current token version of each device, and a broadcast that tells every edge to close the sessions
 * of a device whose tokens were revoked. The database is the source of truth for versions; this store is
 * the fast path edges read on every CONNECT, so it may not know a device (then the caller asks the
 * database and calls `setVersion`).
 */
export interface TokenStore {
  /** The device's version, or undefined when this store does not know it. */
  getVersion (deviceId: string): Promise<number | undefined>
  /** Records the version; never lowers a known one (a late write cannot resurrect revoked tokens). */
  setVersion (deviceId: string, version: number): Promise<void>
  /**
   * Records `version` as the device's version and tells every subscriber, in every process, that tokens
   * of the device below it are revoked. Resolves once published.
   */
  revoke (deviceId: string, version: number): Promise<void>
  /** Subscribes to revocations from any process. Returns the unsubscribe function. */
  onRevoke (handler: RevocationHandler): () => void
  /** Releases connections. Later calls reject with TokenStoreClosedError. */
  close (): Promise<void>
}
