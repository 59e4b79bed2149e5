import { Buffer } from 'node:buffer'

// Serialized frames are written straight into shared slabs, as Node's own Buffer pool does but for frames up to
// 16 KiB rather than 4 KiB: allocating a fresh ArrayBuffer per frame costs more than encoding a 4 KiB body, and
// writing into the slab lets the head be encoded once without measuring its UTF-8 length first. The price is
// that a frame kept alive keeps its 128 KiB slab alive; frames written to sockets are short-lived.
const SLAB_BYTES = 128 * 1024
const POOLED_MAX_BYTES = 16 * 1024

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let used = 0

/** Room for one frame: write from `start`, then `commitFrame`. */
export interface ReservedFrame {
  readonly buffer: Buffer
  readonly start: number
}

/** Reserves at least `maxBytes` writable bytes. Nothing else may be reserved before the matching commit. */
export function reserveFrame (maxBytes: number): ReservedFrame {
  if (maxBytes > POOLED_MAX_BYTES) return { buffer: Buffer.allocUnsafeSlow(maxBytes), start: 0 }
  if (used + maxBytes > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    used = 0
  }
  return { buffer: slab, start: used }
}

/** The frame written into `frame` up to `end` (exclusive); the rest of the reservation is released. */
export function commitFrame (frame: ReservedFrame, end: number): Buffer {
  if (frame.buffer !== slab) return end === frame.buffer.length ? frame.buffer : frame.buffer.subarray(0, end)
  used = (end + 7) & ~7 // keep 8-byte alignment, as Node's pool does
  return slab.subarray(frame.start, end)
}
