import { Buffer } from 'node:buffer'
import { StompParser } from '../src/index.js'
import type { Frame, ParseEvent, StompParserOptions } from '../src/index.js'

/** Parses `chunks` with a fresh parser and returns every event. */
export function parse (chunks: ReadonlyArray<string | Uint8Array> | string | Uint8Array,
  options?: StompParserOptions): ParseEvent[] {
  const parser = new StompParser(options)
  const list = typeof chunks === 'string' || chunks instanceof Uint8Array ? [chunks] : chunks
  return list.flatMap((chunk) => parser.push(chunk))
}

/** The frames among `events`. */
export function framesOf (events: readonly ParseEvent[]): Frame[] {
  return events.flatMap((e) => e.type === 'frame' ? [e.frame] : [])
}

/** The only frame parsed from `input`; fails the test otherwise. */
export function parseOne (input: string | Uint8Array | ReadonlyArray<string | Uint8Array>,
  options?: StompParserOptions): Frame {
  const events = parse(input, options)
  if (events.length !== 1 || events[0]?.type !== 'frame') {
    throw new Error(`expected one frame, got ${JSON.stringify(events.map(summary))}`)
  }
  return events[0].frame
}

/** Event types and codes, for assertions: 'frame:SEND', 'heartbeat', 'error:frame-too-large'. */
export function summary (event: ParseEvent): string {
  switch (event.type) {
    case 'frame': return `frame:${event.frame.command}`
    case 'heartbeat': return 'heartbeat'
    case 'error': return `error:${event.code}`
  }
}

export function summaries (events: readonly ParseEvent[]): string[] {
  return events.map(summary)
}

/** The error code of the last event, if it is an error. */
export function errorCode (events: readonly ParseEvent[]): string | undefined {
  const last = events.at(-1)
  return last?.type === 'error' ? last.code : undefined
}

/** Headers as a plain object (the parser's have a null prototype), for deepEqual. */
export function plain (headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers))
}

export function bytes (text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'))
}

export function concat (...parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p, 'utf8') : p)))
}

/** Splits `data` at the given offsets. */
export function splitAt (data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets)].filter((o) => o > 0 && o < data.length).sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const cut of [...cuts, data.length]) {
    out.push(data.subarray(from, cut))
    from = cut
  }
  return out
}
