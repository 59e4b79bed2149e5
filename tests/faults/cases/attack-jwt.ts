import { createHmac, createSign } from 'node:crypto'

/** JOSE header and claims of a token made by hand: anything goes, that is the point. */
export type Json = Readonly<Record<string, unknown>>

function b64url (value: Json | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value), 'utf8')).toString('base64url')
}

/** The claims of a JWT, unverified (to copy a real token's `sub`, `dev`, `ver`, `name`). */
export function claimsOf (token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** An HS256 JWT signed with `key` used as the HMAC secret, whatever it is (a PEM, a padded secret…). */
export function signHs256 (claims: Json, key: string | Buffer, header: Json = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64url(header)}.${b64url(claims)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

/** An HS384/HS512 JWT: the right secret, but an algorithm the services did not pin. */
export function signHmac (alg: 'HS384' | 'HS512', claims: Json, key: string): string {
  const input = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`
  return `${input}.${createHmac(alg === 'HS384' ? 'sha384' : 'sha512', key).update(input).digest('base64url')}`
}

/** An RS256 JWT signed with a PEM private key. */
export function signRs256 (claims: Json, privateKeyPem: string, header: Json = { alg: 'RS256', typ: 'JWT' }): string {
  const input = `${b64url(header)}.${b64url(claims)}`
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKeyPem, 'base64url')}`
}

/** An unsecured JWT (RFC 7519 section 6): `alg` as given (none, None, NONE), an empty or a copied signature. */
export function unsecured (claims: Json, alg = 'none', signature = ''): string {
  return `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}.${signature}`
}

/** Seconds since the epoch. */
export function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}
