/**
 * A lean reader of server-to-client WebSocket frames (RFC 6455), for the generator's receive path. The `ws`
 * package still does the handshake, the sending and the close; once the socket is open the generator swaps ws's
 * `data` listener for this reader (`takeOverReceive`), which hands each message's payload on as a view of the
 * chunk (no copy, no stream, no event per message). Profiles of the generator at 80,000 deliveries/s showed the
 * ws Receiver's stream machinery (Writable, events, buffer lists) at about a quarter of its JavaScript time.
 *
 * Handled: unmasked and masked frames, 7/16/64-bit lengths, fragmented messages, frames split over or packed
 * into TCP chunks, ping (answered with pong), close (the socket is then terminated). Not handled: extensions
 * (the generator never offers permessage-deflate).
 */
import type { Socket } from 'node:net'
import type WebSocket from 'ws'

export class LeanWsReader {
  #rest: Buffer | undefined
  #fragments: Buffer[] | undefined
  readonly #onMessage: (payload: Buffer) => void
  readonly #onControl: (opcode: number, payload: Buffer) => void

  constructor (onMessage: (payload: Buffer) => void, onControl: (opcode: number, payload: Buffer) => void) {
    this.#onMessage = onMessage
    this.#onControl = onControl
  }

  push (chunk: Buffer): void {
    let buf = chunk
    if (this.#rest !== undefined) {
      buf = Buffer.concat([this.#rest, chunk])
      this.#rest = undefined
    }
    const n = buf.length
    let off = 0
    while (n - off >= 2) {
      const b0 = buf[off] as number
      const b1 = buf[off + 1] as number
      let len = b1 & 0x7f
      let hdr = 2
      if (len === 126) {
        if (n - off < 4) break
        len = buf.readUInt16BE(off + 2)
        hdr = 4
      } else if (len === 127) {
        if (n - off < 10) break
        len = Number(buf.readBigUInt64BE(off + 2))
        hdr = 10
      }
      const isMasked = (b1 & 0x80) !== 0
      const maskAt = off + hdr
      if (isMasked) hdr += 4
      if (n - off < hdr + len) break
      let payload = buf.subarray(off + hdr, off + hdr + len)
      if (isMasked) {
        payload = Buffer.from(payload)
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (buf[maskAt + (i & 3)] as number)
      }
      off += hdr + len
      const opcode = b0 & 0x0f
      const isFin = (b0 & 0x80) !== 0
      if (opcode >= 8) {
        this.#onControl(opcode, payload)
      } else if (opcode === 0) {
        // Continuation: the chunk is reused by the socket, so fragments are copied.
        this.#fragments?.push(Buffer.from(payload))
        if (isFin && this.#fragments !== undefined) {
          const whole = Buffer.concat(this.#fragments)
          this.#fragments = undefined
          this.#onMessage(whole)
        }
      } else if (!isFin) {
        this.#fragments = [Buffer.from(payload)]
      } else {
        this.#onMessage(payload)
      }
    }
    if (off < n) this.#rest = Buffer.from(buf.subarray(off))
  }
}

/**
 * Replaces ws's receive path on an open WebSocket with a LeanWsReader. Call it from the `open` event, before
 * anything is sent, so no data can have reached ws's own receiver. ws still notices the socket closing and
 * emits `close` (with 1006 when no close frame went through it).
 */
export function takeOverReceive (ws: WebSocket, onMessage: (payload: Buffer) => void, onCloseFrame: (code: number) => void): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket
  if (socket === undefined) throw new Error('ws internals changed: no _socket on an open WebSocket')
  if (socket.listenerCount('data') !== 1) throw new Error(`ws internals changed: ${socket.listenerCount('data')} data listeners`)
  const reader = new LeanWsReader(onMessage, (opcode, payload) => {
    if (opcode === 9) ws.pong(payload)
    else if (opcode === 8) {
      onCloseFrame(payload.length >= 2 ? payload.readUInt16BE(0) : 1005)
      ws.terminate()
    }
  })
  socket.removeAllListeners('data')
  socket.on('data', (chunk: Buffer) => reader.push(chunk))
}
