/**
 * Builds the keys (and pub/sub channels) of one adapter under a deployment's prefix (`REDIS_PREFIX`, e.g. `chat:`),
 * so deployments and tests can share a server: `key('presence', 'room', id)` is `chat:presence:room:{id}`.
 * Parts are joined with `:`; callers validate ids (no `:` where a part is split back).
 */
export class KeyPrefix {
  readonly prefix: string

  constructor (prefix: string) {
    if (typeof prefix !== 'string') throw new TypeError('keyPrefix must be a string')
    this.prefix = prefix
  }

  key (...parts: readonly string[]): string {
    return this.prefix + parts.join(':')
  }
}
