import { Buffer } from 'node:buffer'
import { writeUtf8 } from './buffer-text.js'
import { commitFrame, reserveFrame } from './frame-buffer.js'
import { encodeHeaderValue } from './escape.js'
import type { HeaderEncoding } from './escape.js'
import type { StompVersion } from './frame.js'
import { assemble, headerEncoding, headerLines } from './serializer.js'

const OWN_HEADERS: ReadonlySet<string> = new Set(['subscription', 'ack'])

/** Distinct (subscription, ack) pairs cached per template; past it, frames are built without caching. */
const MAX_CACHED = 1024

/**
 * A MESSAGE frame serialized once for a fan-out: every subscriber gets the same bytes but for the `subscription`
 * header (and `ack` in client ack modes). The headers, body and content-length are encoded once; each
 * `forSubscription` copies them around the subscriber's headers, and the result is cached per
 * (subscriptionId, ack) because most clients use the same ids (`sub-0`).
 *
 * `subscription`, `ack` and `content-length` in `headers` are ignored: the template writes its own.
 */
export class MessageFrameTemplate {
  readonly #encoding: HeaderEncoding
  readonly #prefix: Buffer // "MESSAGE\n" + headers
  readonly #suffix: Buffer // "content-length:N\n\n" + body + NUL
  readonly #cache = new Map<string, Buffer>()
  readonly #ackCache = new Map<string, Map<string, Buffer>>()
  #cached = 0

  constructor (headers: Readonly<Record<string, string | number>>, body: string | Uint8Array,
    version: StompVersion = '1.2') {
    this.#encoding = headerEncoding('MESSAGE', version)
    this.#prefix = Buffer.from('MESSAGE\n' + headerLines(headers, this.#encoding, OWN_HEADERS))
    this.#suffix = assemble('', body)
  }

  /** The frame for one subscriber. The Buffer may be shared with other callers: never modify it. */
  forSubscription (subscriptionId: string, ack?: string): Buffer {
    let cache = this.#cache
    if (ack !== undefined) {
      let byAck = this.#ackCache.get(subscriptionId)
      if (byAck === undefined) {
        byAck = new Map()
        if (this.#cached < MAX_CACHED) this.#ackCache.set(subscriptionId, byAck)
      }
      cache = byAck
    }
    const key = ack ?? subscriptionId
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    let middle = 'subscription:' + encodeHeaderValue(subscriptionId, this.#encoding) + '\n'
    if (ack !== undefined) middle += 'ack:' + encodeHeaderValue(ack, this.#encoding) + '\n'
    const prefix = this.#prefix
    const suffix = this.#suffix
    const frame = reserveFrame(prefix.length + middle.length * 3 + suffix.length)
    const buffer = frame.buffer
    let end = frame.start + prefix.copy(buffer, frame.start)
    end += writeUtf8(buffer, middle, end)
    end += suffix.copy(buffer, end)
    const out = commitFrame(frame, end)
    if (this.#cached < MAX_CACHED) {
      cache.set(key, out)
      this.#cached++
    }
    return out
  }
}
