import { Buffer } from 'node:buffer'

/** The STOMP protocol versions the codec speaks. */
export type StompVersion = '1.0' | '1.1' | '1.2'

/** Every command STOMP 1.0–1.2 defines, client and server. */
export type Command =
  | 'CONNECT' | 'STOMP' | 'CONNECTED' | 'SEND' | 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'ACK' | 'NACK'
  | 'BEGIN' | 'COMMIT' | 'ABORT' | 'DISCONNECT' | 'MESSAGE' | 'RECEIPT' | 'ERROR'

/**
 * A parsed frame. `headers` is a null-prototype object (a header named `__proto__` or `constructor` is
 * just a header); when a header is repeated the FIRST value is kept, as STOMP 1.2 requires.
 * `body` may be a view into the chunk it was parsed from: copy it before keeping it past the chunk's life.
 */
export interface Frame {
  readonly command: Command
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

/** Whether header names and values of `command` frames are escaped in `version` (STOMP 1.2 "Value Encoding"). */
export function isEscaped (command: Command, version: StompVersion): boolean {
  // CONNECT and CONNECTED stay unescaped so that 1.0 peers can read them; 1.0 has no escaping at all.
  return version !== '1.0' && command !== 'CONNECT' && command !== 'CONNECTED'
}

/** The frame body decoded as UTF-8 (invalid sequences become U+FFFD). */
export function bodyText (frame: Frame): string {
  const body = frame.body
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
}
