/** What a STOMP session needs of its socket (R10): the session never sees the WebSocket itself. */
export interface SessionTransport {
  /** Queues bytes for the client (one WebSocket text message). */
  send (data: Buffer): void
  /** Closes after the queued bytes are written. */
  close (code: number, reason: string): void
  /** Drops the connection at once, discarding queued bytes (a slow consumer). */
  terminate (): void
  /** Bytes queued but not yet written to the network. */
  bufferedAmount (): number
}
