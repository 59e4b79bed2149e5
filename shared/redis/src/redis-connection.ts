import { Redis, type RedisOptions } from 'ioredis'
import type { RedisConnection } from '@chat/config'
import { silentLogger, type Logger } from './logger.js'

/** Where a Redis adapter connects: a `redis://` URL, or a `RedisConnection` (a URL, or Sentinels and the primary's name). */
export type RedisTarget = string | RedisConnection

/** Defaults of the connections an adapter opens itself: commands fail at once while Redis is away, never queue. */
export const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000, connectTimeout: 2_000 }

/**
 * A client for `target` that has not connected yet (`lazyConnect`). Through Sentinel it asks the Sentinels for the
 * current primary on every (re)connect and checks the server it reaches is the primary, and it watches the
 * Sentinels for a switch (`failoverDetector`), so after a failover it lands on the promoted replica within about a
 * second, without waiting for the old primary's connection to time out.
 */
export function createRedisClient (target: RedisTarget, options: RedisOptions = {}): Redis {
  if (typeof target === 'string') return new Redis(target, { ...options, lazyConnect: true })
  if (target.kind === 'url') return new Redis(target.url, { ...options, lazyConnect: true })
  return new Redis({
    ...options,
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    role: 'master',
    failoverDetector: true,
    // A Sentinel that does not answer is skipped; the list is tried again from the start after this wait (ms).
    sentinelRetryStrategy: (times: number) => Math.min(100 * times, 2_000),
    lazyConnect: true,
  })
}

/**
 * Opens a connection and resolves once it is ready. `options` default to `FAIL_FAST`. Connection errors are logged
 * as warnings under `what` (the client reconnects on its own). Rejects with the client's error, leaving nothing
 * open, when the server (or every Sentinel) cannot be reached.
 */
export async function connectRedis (target: RedisTarget, o: { readonly what: string, readonly log?: Logger, readonly options?: RedisOptions }): Promise<Redis> {
  const log = o.log ?? silentLogger
  const client = createRedisClient(target, { ...FAIL_FAST, ...o.options })
  client.on('error', (err: unknown) => log.warn({ err }, `${o.what} redis connection error`))
  try {
    await client.connect()
  } catch (err) {
    client.disconnect()
    throw err
  }
  return client
}

/** Quits gracefully when connected (pending replies arrive first); otherwise drops the connection at once. */
export async function quitRedis (client: Redis): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect()
    return
  }
  try {
    await client.quit()
  } catch {
    client.disconnect()
  }
}

/** A short description of `target` for logs: the URL's host, or the Sentinels and the primary's name; never a password. */
export function describeRedis (target: RedisTarget): string {
  const url = typeof target === 'string' ? target : target.kind === 'url' ? target.url : undefined
  if (url === undefined && typeof target !== 'string' && target.kind === 'sentinel') {
    return `sentinel ${target.name} via ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`
  }
  try {
    return new URL(url ?? '').host
  } catch {
    return 'redis'
  }
}
