import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * A Lua script run by its SHA (EVALSHA, one round trip), loaded with EVAL the first time a server does not know
 * it (a restart or failover flushes the script cache). It borrows the client rather than `defineCommand` on it,
 * so a client shared with other code is left as it was given.
 */
export class RedisScript {
  readonly #source: string
  readonly #sha: string

  constructor (source: string) {
    this.#source = source
    this.#sha = createHash('sha1').update(source).digest('hex')
  }

  async run (client: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return await client.eval(this.#source, keys.length, ...keys, ...args)
    }
  }
}

/** Connection defaults of a client an adapter opens itself: commands fail at once while Redis is away, never queue. */
export const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 2_000 } as const
