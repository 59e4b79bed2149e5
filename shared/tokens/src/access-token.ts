/** The `typ` claim: what a JWT of ours may be used for. Refresh tokens must never open a STOMP session. */
export const TOKEN_TYPE = { ACCESS: 'access', REFRESH: 'refresh' } as const
export type TokenType = (typeof TOKEN_TYPE)[keyof typeof TOKEN_TYPE]

/** The claims of an access token, as issued by the history service and checked by every service. */
export interface AccessClaims {
  /** User id (UUID). */
  sub: string
  /** Device id (UUID). */
  dev: string
  /** The device's token version when issued; a token below the device's current version is revoked. */
  ver: number
  typ: typeof TOKEN_TYPE.ACCESS
  /** Username, so an edge can name the user without a database read. */
  name: string
  iss: string
  aud: string
  /** Issued at, epoch seconds. */
  iat: number
  /** Expires at, epoch seconds. */
  exp: number
  /** Not before, epoch seconds. */
  nbf?: number
}

export type AccessClaimsCheck =
  | { ok: true, claims: AccessClaims }
  | { ok: false, reason: 'wrong-type' | 'malformed' }

const malformed = { ok: false, reason: 'malformed' } as const

/** 8-4-4-4-12 hex digits, any version: the ids are ours, so this guards shape, not provenance. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Checks the claims after the signature/exp/nbf/iss/aud were verified by the JWT library: shape,
 * typ === 'access', sub/dev UUID-ish strings, ver a positive integer. Returns the typed claims or a reason
 * code: 'wrong-type' for a well-formed `typ` naming another kind of token (e.g. a refresh token presented
 * as an access token), 'malformed' for anything else. Never throws. The claims returned hold only the
 * fields above (unknown claims are dropped), so nothing unexpected travels further.
 */
export function checkAccessClaims (payload: unknown): AccessClaimsCheck {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return malformed
  const p = payload as Record<string, unknown>
  if (typeof p.typ !== 'string') return malformed
  if (p.typ !== TOKEN_TYPE.ACCESS) return { ok: false, reason: 'wrong-type' }
  const { sub, dev, ver, name, iss, aud, iat, exp, nbf } = p
  if (typeof sub !== 'string' || !UUID.test(sub)) return malformed
  if (typeof dev !== 'string' || !UUID.test(dev)) return malformed
  if (typeof ver !== 'number' || !Number.isSafeInteger(ver) || ver <= 0) return malformed
  if (typeof name !== 'string' || name.length === 0) return malformed
  if (typeof iss !== 'string' || typeof aud !== 'string') return malformed
  if (!isNumericDate(iat) || !isNumericDate(exp)) return malformed
  if (nbf !== undefined && !isNumericDate(nbf)) return malformed
  const claims: AccessClaims = { sub, dev, ver, typ: TOKEN_TYPE.ACCESS, name, iss, aud, iat, exp }
  if (nbf !== undefined) claims.nbf = nbf
  return { ok: true, claims }
}

/** RFC 7519 NumericDate: seconds since the epoch, not negative (fractions are allowed). */
function isNumericDate (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}
