import { Buffer, isUtf8 } from 'node:buffer'
import { StompErrorCode } from './codes.js'
import { matchCommand } from './command.js'
import { readUtf8 } from './buffer-text.js'
import { decodeHeaderText } from './escape.js'
import { isEscaped } from './frame.js'
import type { Command, Frame, StompVersion } from './frame.js'
import { resolveFrameLimits } from './frame-limits.js'
import { headerNameAt } from './header-names.js'
import type { FrameLimits } from './frame-limits.js'

/** What one `push` found, in order. After an `error` the parser is failed: the connection must be closed. */
export type ParseEvent =
  | { readonly type: 'frame', readonly frame: Frame }
  | { readonly type: 'heartbeat' }
  | { readonly type: 'error', readonly code: StompErrorCode, readonly detail: string }

export interface StompParserOptions {
  /** Missing limits take DEFAULT_FRAME_LIMITS. */
  limits?: Partial<FrameLimits>
  /** Decides header unescaping. @default '1.2' */
  version?: StompVersion
}

const LF = 10
const CR = 13
const NUL = 0

const HEARTBEAT: ParseEvent = Object.freeze({ type: 'heartbeat' })

// Where the parser is inside the byte stream.
const IDLE = 0 // between frames: EOLs are heart-beats
const HEAD = 1 // inside the command and header lines
const BODY = 2 // headers decoded, waiting for the body and its NUL

// Results of the head and body scanners.
const DONE = 0
const MORE = -1
const FAILED = -2

/**
 * An incremental STOMP 1.0/1.1/1.2 frame parser for one connection, fed WebSocket messages as they arrive.
 *
 * It never throws on input and never holds more than `maxBufferedBytes` (plus the chunk being parsed): every
 * breach of the grammar or the limits is an `error` event, after which `push` returns `[]` forever.
 *
 * How it stays fast: a chunk is parsed in place and only the tail of an incomplete frame is copied (into one
 * growing buffer); lines and NULs are found with native `indexOf`, each frame's header block is decoded with one
 * `toString`, scanning resumes where it stopped, and a body lying inside one chunk is returned as a view of it.
 */
export class StompParser {
  #limits: FrameLimits
  #givenLimits: Partial<FrameLimits>
  #version: StompVersion
  #failed = false

  // Bytes of an incomplete frame (or a lone CR between frames) kept between pushes; index 0 is the frame start.
  #pending: Buffer | undefined
  #pendingLength = 0

  // Frame state; offsets are relative to the frame start so that they survive moving the tail into #pending.
  #phase = IDLE
  #lineStart = 0 // start of the line being scanned (HEAD)
  #scanFrom = 0 // where the next search for LF (HEAD) or NUL (BODY without content-length) resumes
  #lines = 0 // lines of the head seen so far, the command line included
  #command: Command = 'SEND'
  #headStart = 0 // first header line
  #bodyStart = 0
  #contentLength = -1 // -1: the body ends at the first NUL
  #headers: Record<string, string> = Object.create(null) as Record<string, string>

  constructor (options: StompParserOptions = {}) {
    this.#givenLimits = { ...options.limits }
    this.#limits = resolveFrameLimits(this.#givenLimits)
    this.#version = options.version ?? '1.2'
  }

  /** Sets the version whose escaping rules apply to header blocks not yet decoded (call after CONNECT). */
  setVersion (version: StompVersion): void {
    this.#version = version
  }

  /**
   * Changes some limits (e.g. small before CONNECT, full after). The others keep their value; `maxBufferedBytes`
   * follows the other two unless it was given. Applies from the next `push`.
   */
  setLimits (limits: Partial<FrameLimits>): void {
    this.#givenLimits = { ...this.#givenLimits, ...limits }
    this.#limits = resolveFrameLimits(this.#givenLimits)
  }

  /** Bytes held from earlier pushes while a frame is incomplete. */
  get bufferedBytes (): number {
    return this.#pendingLength
  }

  /**
   * Parses one WebSocket message (a text message as a string, a binary one as bytes) and returns every event it
   * completes, in order. Frame bodies may be views into `chunk`: do not reuse its memory while a frame is in use.
   */
  push (chunk: Uint8Array | string): ParseEvent[] {
    const events: ParseEvent[] = []
    if (this.#failed) return events
    let data: Buffer
    if (typeof chunk === 'string') data = Buffer.from(chunk, 'utf8')
    else if (chunk instanceof Uint8Array) data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    else {
      this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'a chunk must be a string or a Uint8Array')
      return events
    }
    if (data.length === 0) return events
    const held = this.#pendingLength
    if (held === 0) {
      this.#consume(data, 0, events)
      return events
    }
    // Complete the held frame in #pending, copying only what the limit allows: a frame that does not end within
    // that is an overflow anyway. Then go on in place in `data`.
    const take = Math.min(data.length, Math.max(this.#limits.maxBufferedBytes + 1 - held, 1))
    const pending = this.#append(data, take)
    const stop = this.#run(pending, 0, events, true, false)
    if (stop === FAILED) return events
    if (stop === 0) { // still incomplete
      if (this.#pendingLength > this.#limits.maxBufferedBytes) {
        this.#fail(events, StompErrorCode.BUFFER_OVERFLOW,
          `an incomplete frame holds more than ${this.#limits.maxBufferedBytes} bytes`)
      }
      return events
    }
    this.#pending = undefined
    this.#pendingLength = 0
    this.#consume(data, stop - held, events)
    return events
  }

  #consume (data: Buffer, start: number, events: ParseEvent[]): void {
    const stop = this.#run(data, start, events, false, true)
    if (stop === FAILED || stop === data.length) return
    const length = data.length - stop
    if (length > this.#limits.maxBufferedBytes) {
      this.#fail(events, StompErrorCode.BUFFER_OVERFLOW,
        `an incomplete frame holds more than ${this.#limits.maxBufferedBytes} bytes`)
      return
    }
    const pending = Buffer.allocUnsafe(this.#capacityFor(length, 0))
    data.copy(pending, 0, stop)
    this.#pending = pending
    this.#pendingLength = length
  }

  /** Room for `needed` held bytes: doubling (a frame arriving in small pieces is copied O(1) times a byte), capped. */
  #capacityFor (needed: number, current: number): number {
    const doubled = Math.max(needed * 2, current * 2, 256)
    return Math.max(needed, Math.min(doubled, this.#limits.maxBufferedBytes + 1))
  }

  /** Appends `data[0..take)` to #pending and returns a view of exactly the held bytes. */
  #append (data: Buffer, take: number): Buffer {
    let pending = this.#pending as Buffer
    const length = this.#pendingLength + take
    if (length > pending.length) {
      const grown = Buffer.allocUnsafe(this.#capacityFor(length, pending.length))
      pending.copy(grown, 0, 0, this.#pendingLength)
      pending = grown
      this.#pending = grown
    }
    data.copy(pending, this.#pendingLength, 0, take)
    this.#pendingLength = length
    return pending.subarray(0, length)
  }

  /**
   * Parses `buf` from `start`. Returns where the unconsumed bytes begin (the start of an incomplete frame, or
   * `buf.length`), or FAILED. With `single`, returns after the first event (used to finish a held frame).
   * `canShare`: bodies may be views of `buf` (false for #pending, whose memory is reused).
   */
  #run (buf: Buffer, start: number, events: ParseEvent[], single: boolean, canShare: boolean): number {
    const end = buf.length
    let p = start
    while (p < end) {
      if (this.#phase === IDLE) {
        const byte = buf[p]
        if (byte === LF || byte === CR) {
          if (byte === CR) {
            if (p + 1 === end) return p // the LF may come in the next chunk
            if (buf[p + 1] !== LF) return this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'CR not followed by LF')
            p++
          }
          p++
          events.push(HEARTBEAT)
          if (single) return p
          continue
        }
        this.#phase = HEAD
        this.#lineStart = 0
        this.#scanFrom = 0
        this.#lines = 0
      }
      if (this.#phase === HEAD) {
        const result = this.#scanHead(buf, p, events)
        if (result !== DONE) return result === MORE ? p : FAILED
      }
      const next = this.#scanBody(buf, p, events, canShare)
      if (next < 0) return next === MORE ? p : FAILED
      p = next
      if (single) return p
    }
    return p
  }

  /** Finds the lines of the head of the frame starting at `f`, enforcing the line limits as it goes. */
  #scanHead (buf: Buffer, f: number, events: ParseEvent[]): number {
    const end = buf.length
    const limits = this.#limits
    const maxLine = limits.maxHeaderLineBytes
    let lineStart = f + this.#lineStart
    let from = f + this.#scanFrom
    for (;;) {
      const lf = buf.indexOf(LF, from)
      if (lf === -1) {
        const partial = end - lineStart
        // One byte more than the limit is still fine if it is the CR of a CRLF.
        if (partial > maxLine + 1 || (partial === maxLine + 1 && buf[end - 1] !== CR)) {
          return this.#fail(events, StompErrorCode.HEADER_TOO_LONG, `a line is over ${maxLine} bytes`)
        }
        if (end - f + 1 > limits.maxFrameBytes) return this.#tooLarge(events)
        this.#lineStart = lineStart - f
        this.#scanFrom = end - f
        return MORE
      }
      const lineEnd = lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf
      if (lineEnd - lineStart > maxLine) {
        return this.#fail(events, StompErrorCode.HEADER_TOO_LONG, `a line is over ${maxLine} bytes`)
      }
      if (lf + 2 - f > limits.maxFrameBytes) return this.#tooLarge(events)
      if (this.#lines === 0) {
        const command = matchCommand(buf, lineStart, lineEnd)
        if (command === undefined) return this.#fail(events, StompErrorCode.UNKNOWN_COMMAND, 'unknown command')
        this.#command = command
        this.#headStart = lf + 1 - f
      } else if (lineEnd === lineStart) {
        this.#bodyStart = lf + 1 - f
        return this.#decodeHead(buf, f + this.#headStart, lineStart, events)
      } else if (this.#lines > limits.maxHeaders) {
        return this.#fail(events, StompErrorCode.TOO_MANY_HEADERS, `more than ${limits.maxHeaders} headers`)
      }
      this.#lines++
      lineStart = lf + 1
      from = lineStart
    }
  }

  /** Decodes the header lines `buf[start..end)` (each ending with [CR]LF) with one decode for the block. */
  #decodeHead (buf: Buffer, start: number, end: number, events: ParseEvent[]): number {
    // A null prototype set on a fresh {} keeps V8's fast properties, where Object.create(null) makes a dictionary.
    const headers: Record<string, string> = {}
    Object.setPrototypeOf(headers, null)
    if (end > start) {
      const text = readUtf8(buf, start, end)
      if (text.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) {
        return this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'a header is not valid UTF-8')
      }
      const version = this.#version
      const escaped = isEscaped(this.#command, version) && text.includes('\\')
      const allowCrEscape = version === '1.2'
      // 1.2 allows CR only as part of an EOL; 1.0 and 1.1 allow it inside names and values.
      const checkCr = version === '1.2' && text.includes('\r')
      let i = 0
      while (i < text.length) {
        const lf = text.indexOf('\n', i)
        const lineEnd = text.charCodeAt(lf - 1) === CR ? lf - 1 : lf
        const colon = text.indexOf(':', i)
        if (colon === -1 || colon >= lineEnd) {
          return this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'a header line has no colon')
        }
        if (colon === i) return this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'a header name is empty')
        let name: string | undefined = headerNameAt(text, i, colon)
        let value: string | undefined = text.slice(colon + 1, lineEnd)
        if (checkCr && (name.includes('\r') || value.includes('\r'))) {
          return this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'a header holds a CR outside an EOL')
        }
        if (escaped) {
          name = decodeHeaderText(name, allowCrEscape)
          value = decodeHeaderText(value, allowCrEscape)
          if (name === undefined || value === undefined) {
            return this.#fail(events, StompErrorCode.INVALID_ESCAPE, 'a header holds an undefined escape sequence')
          }
        }
        if (headers[name] === undefined) headers[name] = value
        i = lf + 1
      }
    }
    let contentLength = -1
    const declared = headers['content-length']
    if (declared !== undefined) {
      contentLength = parseDecimal(declared)
      if (contentLength < 0) {
        return this.#fail(events, StompErrorCode.INVALID_CONTENT_LENGTH,
          'content-length is not a non-negative decimal integer')
      }
      if (this.#bodyStart + contentLength + 1 > this.#limits.maxFrameBytes) return this.#tooLarge(events)
    }
    this.#headers = headers
    this.#contentLength = contentLength
    this.#scanFrom = this.#bodyStart
    this.#phase = BODY
    return DONE
  }

  /** Completes the frame starting at `f` if its body and NUL are in `buf`; returns the position after the NUL. */
  #scanBody (buf: Buffer, f: number, events: ParseEvent[], canShare: boolean): number {
    const bodyStart = f + this.#bodyStart
    let nul: number
    if (this.#contentLength >= 0) {
      nul = bodyStart + this.#contentLength
      if (nul >= buf.length) return MORE
      if (buf[nul] !== NUL) {
        return this.#fail(events, StompErrorCode.MALFORMED_FRAME, 'the byte after content-length bytes is not NUL')
      }
    } else {
      nul = buf.indexOf(NUL, f + this.#scanFrom)
      if (nul === -1) {
        if (buf.length - f + 1 > this.#limits.maxFrameBytes) return this.#tooLarge(events)
        this.#scanFrom = buf.length - f
        return MORE
      }
      if (nul + 1 - f > this.#limits.maxFrameBytes) return this.#tooLarge(events)
    }
    const view = new Uint8Array(buf.buffer, buf.byteOffset + bodyStart, nul - bodyStart)
    const frame: Frame = { command: this.#command, headers: this.#headers, body: canShare ? view : view.slice() }
    events.push({ type: 'frame', frame })
    this.#phase = IDLE
    return nul + 1
  }

  #tooLarge (events: ParseEvent[]): number {
    return this.#fail(events, StompErrorCode.FRAME_TOO_LARGE, `a frame is over ${this.#limits.maxFrameBytes} bytes`)
  }

  #fail (events: ParseEvent[], code: StompErrorCode, detail: string): number {
    events.push({ type: 'error', code, detail })
    this.#failed = true
    this.#pending = undefined
    this.#pendingLength = 0
    this.#headers = Object.create(null) as Record<string, string>
    return FAILED
  }
}

/** The value of a string of ASCII digits, or -1. Values beyond 2^53 lose precision but stay over any limit. */
function parseDecimal (text: string): number {
  if (text.length === 0) return -1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return -1
  }
  return Number(text)
}
