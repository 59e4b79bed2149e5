/**
 * Header escaping (STOMP 1.2 "Value Encoding"). 1.2 escapes `\r`, `\n`, `:` and `\` as `\r`, `\n`, `\c`, `\\`;
 * 1.1 has the same escapes but `\r`; 1.0 has none, and CONNECT/CONNECTED frames are never escaped in any version.
 *
 * What cannot be represented is rewritten deterministically, so that serialising never fails and never emits a
 * frame a peer would split differently:
 * - a CR or LF that cannot be escaped (1.0, CONNECT/CONNECTED, CR in 1.1) becomes a space;
 * - a header whose name cannot be written (empty, or holding `:`, CR or LF where those cannot be escaped) is dropped.
 */

const BACKSLASH = 92
const COLON = 58
const LF = 10
const CR = 13

/** How header text is written: 1.2 escapes, 1.1 escapes (no `\r`), or raw (1.0 and CONNECT/CONNECTED). */
export type HeaderEncoding = 'escape-1.2' | 'escape-1.1' | 'raw'

function needsWork (text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === BACKSLASH || c === COLON || c === LF || c === CR) return true
  }
  return false
}

/** Encodes a header value. Never fails. */
export function encodeHeaderValue (value: string, encoding: HeaderEncoding): string {
  if (!needsWork(value)) return value
  let out = ''
  let from = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    let replacement: string
    if (encoding === 'raw') {
      if (c !== LF && c !== CR) continue
      replacement = ' '
    } else if (c === BACKSLASH) replacement = '\\\\'
    else if (c === COLON) replacement = '\\c'
    else if (c === LF) replacement = '\\n'
    else if (c === CR) replacement = encoding === 'escape-1.2' ? '\\r' : ' '
    else continue
    out += value.slice(from, i) + replacement
    from = i + 1
  }
  return out + value.slice(from)
}

/** Encodes a header name, or returns undefined when it cannot be written and the header must be dropped. */
export function encodeHeaderName (name: string, encoding: HeaderEncoding): string | undefined {
  if (name.length === 0) return undefined
  if (encoding === 'raw' && needsWork(name)) {
    // A backslash is harmless in a raw name; `:`, CR and LF would change how the line splits.
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i)
      if (c === COLON || c === LF || c === CR) return undefined
    }
    return name
  }
  return encodeHeaderValue(name, encoding)
}

/**
 * Decodes an escaped header name or value, or returns undefined on an undefined escape sequence (`\t`, a lone
 * trailing `\`, `\r` in 1.1): STOMP 1.2 says those MUST be treated as fatal protocol errors.
 */
export function decodeHeaderText (text: string, allowCr: boolean): string | undefined {
  let i = text.indexOf('\\')
  if (i === -1) return text
  let out = ''
  let from = 0
  while (i !== -1) {
    const next = text.charCodeAt(i + 1)
    let replacement: string
    if (next === 110 /* n */) replacement = '\n'
    else if (next === 99 /* c */) replacement = ':'
    else if (next === BACKSLASH) replacement = '\\'
    else if (next === 114 /* r */ && allowCr) replacement = '\r'
    else return undefined
    out += text.slice(from, i) + replacement
    from = i + 2
    i = text.indexOf('\\', from)
  }
  return out + text.slice(from)
}
