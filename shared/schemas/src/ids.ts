import { v7 as uuidv7 } from 'uuid'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A new time-ordered id (UUIDv7): messages, users and rooms all use them. */
export function newId (): string {
  return uuidv7()
}

export function isUuid (value: string): boolean {
  return UUID_RE.test(value)
}
