import { randomUUID } from 'node:crypto'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A new time-ordered id (UUIDv7, RFC 9562): 48 bits of Unix milliseconds, the version, then random bits.
 * The random bits come from `crypto.randomUUID()` (a v4 UUID, whose variant bits are already v7's),
 * which draws from Node's cached entropy pool: one id per SEND is on the edge's hot path, and the `uuid`
 * package's v7 called `randomFillSync` for every id (11 % of the edge's CPU at 9,000 SENDs/s).
 */
export function newId (): string {
  const v4 = randomUUID()
  const ms = Date.now().toString(16).padStart(12, '0')
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${v4.slice(15)}`
}

export function isUuid (value: string): boolean {
  return UUID_RE.test(value)
}
