import { Redis } from 'ioredis'
import { uniqueName } from './servers.js'

/** What `scanKeys` needs of a client: ioredis' `scan`. */
export interface KeyScanner {
  scan (cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>
}

/** Every key on the server matching the glob `pattern` (SCAN, so it never blocks the server), sorted. */
export async function scanKeys (client: KeyScanner, pattern = '*'): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return [...new Set(keys)].sort()
}

/** Removes every key under `prefix` (from `uniqueName`, so it holds no glob characters); resolves with how many. */
export async function removeKeys (client: KeyScanner & { unlink (...keys: string[]): Promise<number> }, prefix: string): Promise<number> {
  const keys = await scanKeys(client, `${prefix}*`)
  if (keys.length > 0) await client.unlink(...keys)
  return keys.length
}

/** A unique Redis key prefix (`{tag}_{random}:`) whose keys `drop()` removes, so a suite leaves nothing behind. */
export interface RedisPrefix {
  readonly url: string
  readonly prefix: string
  drop (): Promise<void>
}

export function freshRedisPrefix (redisUrl: string, tag = 't'): RedisPrefix {
  const prefix = `${uniqueName(tag)}:`
  return {
    url: redisUrl,
    prefix,
    async drop () {
      await removeRedisKeys(redisUrl, prefix)
    },
  }
}

/** Removes every key under `prefix` over a short-lived connection of its own. */
export async function removeRedisKeys (redisUrl: string, prefix: string): Promise<number> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    await client.connect()
    return await removeKeys(client, prefix)
  } finally {
    client.disconnect()
  }
}

/** What a Redis test needs per test: a key prefix of its own (its keys removed when the test ends) and clients it may break. */
export interface RedisTestKit {
  /** `{tag}_{random}:`, whose keys are removed (through `admin`) when `t` ends. */
  prefix (t: { after (fn: () => Promise<unknown>): void }): string
  /** A new client of `url` that `t` may break; disconnected when `t` ends. */
  client (t: { after (fn: () => void): void }): Promise<Redis>
}

export function redisTestKit (url: string, admin: Redis, tag: string): RedisTestKit {
  return {
    prefix (t) {
      const prefix = `${uniqueName(tag)}:`
      t.after(() => removeKeys(admin, prefix))
      return prefix
    },
    async client (t) {
      const client = new Redis(url)
      t.after(() => client.disconnect())
      await client.ping()
      return client
    },
  }
}
