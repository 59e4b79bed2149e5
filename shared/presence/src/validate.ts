import type { PresenceSession } from './presence-store.js'

// Internal: both adapters check ids the same way, so switching adapters never changes what is accepted.

export function assertId (what: string, id: unknown): void {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`${what} must be a non-empty string`)
}

export function assertUserId (id: unknown): void {
  assertId('userId', id)
  if ((id as string).includes(':')) throw new TypeError('userId must not contain \':\'')
}

export function assertSession (s: PresenceSession): void {
  assertId('sessionId', s.sessionId)
  assertUserId(s.userId)
  if (typeof s.username !== 'string') throw new TypeError('username must be a string')
  for (const room of s.rooms) assertId('roomId', room)
}

export function assertEpochMs (what: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${what} must be a finite number (epoch ms)`)
}

export function assertTtlMs (ttlMs: unknown): void {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError('ttlMs must be a positive integer (ms)')
  }
}
