import { StompErrorCode } from '@chat/protocol'
import { DeviceVersions, checkAccessClaims, type AccessClaims, type TokenStore } from '@chat/tokens'
import type { UserStore } from '@chat/store'
import type { Logger } from '@chat/observability'

export type VerifyResult =
  | { readonly ok: true, readonly claims: AccessClaims }
  | { readonly ok: false, readonly code: StompErrorCode, readonly detail: string }

/** Verifies a JWT's signature, algorithm, `exp`/`nbf` (with leeway), `iss` and `aud`; throws when any fails. */
export type JwtVerify = (token: string) => unknown

/**
 * Decides whether an access token opens (or keeps open) a session: a valid JWT of type access whose
 * `ver` is the device's current token version. The version comes from the token store (Redis), falling
 * back to PostgreSQL when the store does not know the device or cannot be reached.
 */
export class AccessVerifier {
  readonly #verifyJwt: JwtVerify
  readonly #versions: DeviceVersions

  constructor (deps: { verifyJwt: JwtVerify, tokens: TokenStore, users: UserStore, log: Logger }) {
    this.#verifyJwt = deps.verifyJwt
    this.#versions = new DeviceVersions({ tokens: deps.tokens, loadVersion: async (id) => (await deps.users.getDevice(id))?.tokenVersion, log: deps.log })
  }

  /** The device's version as the database has it (written back to the token store); see `DeviceVersions.fromDatabase`. */
  async versionInDatabase (deviceId: string): Promise<number | undefined> {
    return await this.#versions.fromDatabase(deviceId)
  }

  async verify (token: string): Promise<VerifyResult> {
    let payload: unknown
    try {
      payload = this.#verifyJwt(token)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'FAST_JWT_EXPIRED') return { ok: false, code: StompErrorCode.TOKEN_EXPIRED, detail: 'the access token has expired' }
      return { ok: false, code: StompErrorCode.UNAUTHORIZED, detail: 'the access token is not valid' }
    }
    const checked = checkAccessClaims(payload)
    if (!checked.ok) {
      return { ok: false, code: StompErrorCode.UNAUTHORIZED, detail: checked.reason === 'wrong-type' ? 'not an access token' : 'malformed token claims' }
    }
    const claims = checked.claims
    const current = await this.#versions.current(claims.dev, claims.ver)
    if (current === undefined) return { ok: false, code: StompErrorCode.TOKEN_REVOKED, detail: 'unknown device' }
    if (claims.ver !== current) return { ok: false, code: StompErrorCode.TOKEN_REVOKED, detail: 'the token was revoked' }
    return { ok: true, claims }
  }
}
