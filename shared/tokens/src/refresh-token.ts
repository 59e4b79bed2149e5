import { createHash, randomBytes } from 'node:crypto'

/** A new opaque refresh token: 32 random bytes (256 bits), base64url (43 characters, no padding). */
export function newRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * What the database keeps instead of the token: SHA-256, hex (64 characters).
 *
 * A fast hash is the right tool here, unlike for passwords. Slow, salted hashes (bcrypt, scrypt, argon2)
 * exist to make guessing low-entropy secrets expensive; a 256-bit random token cannot be guessed at any
 * speed, so slowness would only cost CPU on every refresh. And because the hash is deterministic (no
 * salt), the token is found with one indexed lookup by its hash, which a salted hash would prevent. A
 * leaked table of hashes still reveals no usable token.
 */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
