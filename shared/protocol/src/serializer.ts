import { Buffer } from 'node:buffer'
import { writeText, writeUtf8 } from './buffer-text.js'
import { commitFrame, reserveFrame } from './frame-buffer.js'
import { encodeHeaderName, encodeHeaderValue } from './escape.js'
import type { HeaderEncoding } from './escape.js'
import { isEscaped } from './frame.js'
import { KNOWN_HEADER_NAMES } from './header-names.js'
import type { Command, StompVersion } from './frame.js'

/** Header values given to the serializer; numbers are written in decimal. */
export type OutgoingHeaders =
  | Readonly<Record<string, string | number>>
  | ReadonlyArray<readonly [string, string | number]>

/** A frame to send. Headers in array form may repeat a name (a reader keeps the first). */
export interface OutgoingFrame {
  readonly command: Command
  readonly headers?: OutgoingHeaders
  readonly body?: string | Uint8Array
}

/** How header text is encoded for `command` in `version`. */
export function headerEncoding (command: Command, version: StompVersion): HeaderEncoding {
  if (!isEscaped(command, version)) return 'raw'
  return version === '1.1' ? 'escape-1.1' : 'escape-1.2'
}

// Anything a header encoding may have to rewrite; most names and values have none of it and are copied as is.
const SPECIAL = /[\\\r\n:]/

// Known names need no encoding: a set lookup is half the cost of the test. content-length never gets here.
const PLAIN_NAMES: ReadonlySet<string> = new Set(KNOWN_HEADER_NAMES)

/**
 * Writes the header lines of `headers` ("name:value\n" each) encoded for `encoding`, skipping the names in
 * `skip` and every `content-length` (the caller writes the true one). Unwritable names are dropped (escape.ts).
 */
export function headerLines (headers: OutgoingHeaders | undefined, encoding: HeaderEncoding,
  skip?: ReadonlySet<string>): string {
  if (headers === undefined) return ''
  let out = ''
  if (isHeaderArray(headers)) {
    for (const [name, value] of headers) out += headerLine(name, value, encoding, skip)
  } else {
    for (const name in headers) out += headerLine(name, headers[name], encoding, skip)
  }
  return out
}

function headerLine (name: string, value: string | number | undefined, encoding: HeaderEncoding,
  skip: ReadonlySet<string> | undefined): string {
  // An undefined value (possible from untyped callers) omits the header rather than writing "undefined".
  if (value === undefined || name === 'content-length' || name.length === 0 || skip?.has(name) === true) return ''
  const text = typeof value === 'string' ? value : String(value)
  if ((PLAIN_NAMES.has(name) || !SPECIAL.test(name)) && !SPECIAL.test(text)) return name + ':' + text + '\n'
  const encodedName = encodeHeaderName(name, encoding)
  if (encodedName === undefined) return ''
  return encodedName + ':' + encodeHeaderValue(text, encoding) + '\n'
}

function isHeaderArray (headers: OutgoingHeaders): headers is ReadonlyArray<readonly [string, string | number]> {
  return Array.isArray(headers)
}

/**
 * Serializes a frame: command line, headers escaped as `version` requires (none for CONNECT/CONNECTED and 1.0;
 * see escape.ts for what cannot be represented), lines ending with LF, `content-length` in bytes whenever the
 * body is not empty, then the body and NUL. A `content-length` given by the caller is replaced by the true byte
 * length (never written twice), so the frame cannot be corrupt. Never throws for a well-typed frame.
 * The returned Buffer is not retained: write it to as many sockets as needed.
 */
export function serializeFrame (frame: OutgoingFrame, version: StompVersion = '1.2'): Buffer {
  const head = frame.command + '\n' + headerLines(frame.headers, headerEncoding(frame.command, version))
  return assemble(head, frame.body)
}

/** `head` + the content-length line when the body is not empty + blank line + body + NUL. */
export function assemble (head: string, body: string | Uint8Array | undefined): Buffer {
  let bodyBytes = 0
  let fullHead = head + '\n'
  if (body !== undefined && body.length > 0) {
    bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
    fullHead = head + 'content-length:' + bodyBytes + '\n\n'
  }
  // The head is written before its byte length is known: reserve room for 3 bytes per UTF-16 unit.
  const frame = reserveFrame(fullHead.length * 3 + bodyBytes + 1)
  const start = frame.start
  const out = frame.buffer
  const headBytes = writeUtf8(out, fullHead, start)
  let end = start + headBytes
  if (bodyBytes > 0) {
    if (typeof body === 'string') end += writeText(out, body, end, bodyBytes)
    else {
      out.set(body as Uint8Array, end)
      end += bodyBytes
    }
  }
  out[end++] = 0
  return commitFrame(frame, end)
}
