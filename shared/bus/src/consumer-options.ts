import type { InboundConsumerOptions } from './message-bus.js'

/** `InboundConsumerOptions` with defaults applied; throws a RangeError on an invalid value. */
export function resolveConsumerOptions (options: InboundConsumerOptions): { readonly prefetch: number, readonly maxAttempts: number } {
  const prefetch = options.prefetch ?? 256
  const maxAttempts = options.maxAttempts ?? 5
  // 65_535: AMQP's prefetch-count is a short.
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) throw new RangeError(`prefetch must be an integer in 1..65535, got ${prefetch}`)
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`)
  return { prefetch, maxAttempts }
}
