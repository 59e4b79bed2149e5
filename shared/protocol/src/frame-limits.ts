/** Bounds the parser enforces on untrusted input. Each breach is an `error` event, never a throw. */
export interface FrameLimits {
  /** Bytes of one frame, from the first byte of the command to the terminating NUL inclusive. @default 65_536 */
  maxFrameBytes: number
  /** Header lines of one frame (the command line not counted). @default 64 */
  maxHeaders: number
  /** Bytes of the command line or of one header line, without its EOL. @default 8_192 */
  maxHeaderLineBytes: number
  /**
   * Bytes the parser holds between pushes while a frame is incomplete.
   * @default maxFrameBytes + maxHeaderLineBytes
   */
  maxBufferedBytes: number
}

export const DEFAULT_FRAME_LIMITS: Readonly<FrameLimits> = Object.freeze({
  maxFrameBytes: 65_536,
  maxHeaders: 64,
  maxHeaderLineBytes: 8_192,
  maxBufferedBytes: 65_536 + 8_192,
})

/**
 * Fills the limits missing from `given` with the defaults. A value that is not a number >= 0 (NaN, negative, a
 * string) counts as missing; `Infinity` means unbounded. `maxBufferedBytes`, unless given, follows the other two.
 */
export function resolveFrameLimits (given: Partial<FrameLimits>): FrameLimits {
  const pick = (key: keyof FrameLimits): number | undefined => {
    const value: unknown = given[key]
    return isLimit(value) ? Math.floor(value) : undefined
  }
  const maxFrameBytes = pick('maxFrameBytes') ?? DEFAULT_FRAME_LIMITS.maxFrameBytes
  const maxHeaderLineBytes = pick('maxHeaderLineBytes') ?? DEFAULT_FRAME_LIMITS.maxHeaderLineBytes
  return {
    maxFrameBytes,
    maxHeaders: pick('maxHeaders') ?? DEFAULT_FRAME_LIMITS.maxHeaders,
    maxHeaderLineBytes,
    maxBufferedBytes: pick('maxBufferedBytes') ?? maxFrameBytes + maxHeaderLineBytes,
  }
}

function isLimit (value: unknown): value is number {
  return typeof value === 'number' && value >= 0
}
