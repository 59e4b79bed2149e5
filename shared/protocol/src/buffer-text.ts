import { Buffer } from 'node:buffer'

// Buffer#write and Buffer#toString validate their arguments and look the encoding up by name on every call, which
// costs as much as encoding a 100-byte header block. Node's Buffer has had the per-encoding methods behind them
// since 0.x (utf8Write, latin1Write, utf8Slice); use them when present, the public methods otherwise.
interface EncodingMethods {
  utf8Write (text: string, offset: number, length: number): number
  latin1Write (text: string, offset: number, length: number): number
  utf8Slice (start: number, end: number): string
}
const proto = Buffer.prototype as Partial<EncodingMethods>
const hasEncodingMethods = typeof proto.utf8Write === 'function' && typeof proto.latin1Write === 'function' &&
  typeof proto.utf8Slice === 'function'

/** Writes `text` as UTF-8 at `offset` (room is guaranteed by the caller) and returns the bytes written. */
export function writeUtf8 (out: Buffer, text: string, offset: number): number {
  return hasEncodingMethods
    ? (out as Buffer & EncodingMethods).utf8Write(text, offset, out.length - offset)
    : out.write(text, offset, 'utf8')
}

/**
 * Writes `text` at `offset` and returns the bytes written. `byteLength` is `Buffer.byteLength(text)`: when it
 * equals the string length the text is ASCII, and a latin1 write (a copy) gives the same bytes as UTF-8 encoding.
 */
export function writeText (out: Buffer, text: string, offset: number, byteLength: number): number {
  if (byteLength !== text.length) return writeUtf8(out, text, offset)
  return hasEncodingMethods
    ? (out as Buffer & EncodingMethods).latin1Write(text, offset, out.length - offset)
    : out.write(text, offset, 'latin1')
}

/** Decodes `buf[start..end)` as UTF-8, invalid sequences becoming U+FFFD. */
export function readUtf8 (buf: Buffer, start: number, end: number): string {
  return hasEncodingMethods ? (buf as Buffer & EncodingMethods).utf8Slice(start, end) : buf.toString('utf8', start, end)
}
