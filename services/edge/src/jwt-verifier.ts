import { createVerifier } from 'fast-jwt'
import type { JwtSettings } from '@chat/config'
import type { JwtVerify } from './access-verifier.js'

/**
 * A synchronous JWT verifier with the same rules @fastify/jwt applies in the history service (both built
 * from the same JwtSettings): one pinned algorithm — so `alg: none` and HS256 tokens signed with a public
 * key are refused —, `iss` and `aud` required, `exp`/`nbf` checked with the clock tolerance.
 * fast-jwt is the engine under @fastify/jwt; the edge verifies tokens from STOMP frames, not HTTP requests.
 */
export function createJwtVerifier (s: JwtSettings): JwtVerify {
  const key = s.algorithm === 'HS256' ? s.secret : s.publicKey
  if (key === undefined || key === '') throw new Error('JWT settings without a key')
  return createVerifier({
    key,
    algorithms: [s.algorithm],
    allowedIss: s.issuer,
    allowedAud: s.audience,
    clockTolerance: s.clockToleranceMs,
    requiredClaims: ['exp', 'iat', 'sub', 'iss', 'aud'],
  }) as JwtVerify
}
