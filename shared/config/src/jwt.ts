import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto'
import { ConfigError } from './config-error.js'
import type { Env } from './parse-env.js'

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA'

/** How tokens are signed and verified. One algorithm, pinned: a token of any other is refused. */
export interface JwtSettings {
  readonly algorithm: JwtAlgorithm
  /** HS256 only. */
  readonly secret?: string
  /** Asymmetric algorithms: PEM. The edge needs only the public key. */
  readonly publicKey?: string
  readonly privateKey?: string
  /** `iss` written and required. @default 'stomp-chat' */
  readonly issuer: string
  /** `aud` written and required. @default 'stomp-chat' */
  readonly audience: string
  /** Access token lifetime. @default 900 (15 minutes) */
  readonly accessTtlSeconds: number
  /** Leeway for `exp` and `nbf` between clocks. @default 5_000 */
  readonly clockToleranceMs: number
  /** True when no key was configured and a random secret was made for this start. */
  readonly isEphemeral: boolean
}

const MIN_SECRET_BYTES = 32

function algorithmOfKey (pem: string): JwtAlgorithm {
  const key = createPublicKey(pem)
  switch (key.asymmetricKeyType) {
    case 'rsa': return 'RS256'
    case 'ec': return 'ES256'
    case 'ed25519': return 'EdDSA'
    default: throw new ConfigError(`JWT_PUBLIC_KEY: unsupported key type ${String(key.asymmetricKeyType)}`)
  }
}

/** PEM from env may carry literal `\n` (one-line env files) and stray whitespace around it. */
function normalizePem (value: string): string {
  return value.replace(/\\n/g, '\n').trim() + '\n'
}

/**
 * Reads `JWT_SECRET` (HS256) or `JWT_PUBLIC_KEY` / `JWT_PRIVATE_KEY` (RS256, ES256 P-256 or EdDSA, chosen
 * by the key's type), `JWT_ISSUER`, `JWT_AUDIENCE`. With none set: a random secret for this start (the
 * caller logs a warning), refused when `NODE_ENV=production`. `needPrivateKey`: the process signs tokens.
 */
export function loadJwtSettings (env: Env, options: { needPrivateKey: boolean }): JwtSettings {
  const production = env.NODE_ENV === 'production'
  const issuer = env.JWT_ISSUER ?? 'stomp-chat'
  const audience = env.JWT_AUDIENCE ?? 'stomp-chat'
  const accessTtlSeconds = 900
  const clockToleranceMs = 5_000
  const base = { issuer, audience, accessTtlSeconds, clockToleranceMs }
  const publicKey = env.JWT_PUBLIC_KEY
  const privateKey = env.JWT_PRIVATE_KEY
  const secret = env.JWT_SECRET
  if (publicKey !== undefined && publicKey !== '') {
    if (secret !== undefined && secret !== '') throw new ConfigError('set JWT_SECRET or JWT_PUBLIC_KEY, not both')
    const pub = normalizePem(publicKey)
    let algorithm: JwtAlgorithm
    try {
      algorithm = algorithmOfKey(pub)
    } catch (err) {
      throw err instanceof ConfigError ? err : new ConfigError('JWT_PUBLIC_KEY is not a PEM public key', { cause: err })
    }
    let priv: string | undefined
    if (privateKey !== undefined && privateKey !== '') {
      priv = normalizePem(privateKey)
      try {
        createPrivateKey(priv)
      } catch (err) {
        throw new ConfigError('JWT_PRIVATE_KEY is not a PEM private key', { cause: err })
      }
    } else if (options.needPrivateKey) {
      throw new ConfigError('JWT_PRIVATE_KEY is required with JWT_PUBLIC_KEY: this service signs tokens')
    }
    return Object.freeze({ ...base, algorithm, publicKey: pub, ...(priv === undefined ? {} : { privateKey: priv }), isEphemeral: false })
  }
  if (secret !== undefined && secret !== '') {
    if (secret.trim() !== secret) throw new ConfigError('JWT_SECRET has leading or trailing whitespace')
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`)
    }
    return Object.freeze({ ...base, algorithm: 'HS256', secret, isEphemeral: false })
  }
  if (production) throw new ConfigError('JWT_SECRET (or JWT_PUBLIC_KEY/JWT_PRIVATE_KEY) is required when NODE_ENV=production')
  return Object.freeze({ ...base, algorithm: 'HS256', secret: randomBytes(48).toString('base64url'), isEphemeral: true })
}

/**
 * Options for @fastify/jwt: the algorithm pinned for signing and verifying, `iss` and `aud` written and
 * required, `exp`/`nbf` checked with the clock tolerance. Typed structurally so this package does not
 * depend on Fastify.
 */
export function fastifyJwtOptions (s: JwtSettings): {
  secret: string | { public: string, private?: string }
  sign: { algorithm: JwtAlgorithm, iss: string, aud: string, expiresIn: number /* seconds: @fastify/jwt converts numbers from seconds */ }
  verify: { algorithms: JwtAlgorithm[], allowedIss: string, allowedAud: string, clockTolerance: number, requiredClaims: string[] }
} {
  const secret = s.algorithm === 'HS256'
    ? (s.secret ?? '')
    : { public: s.publicKey ?? '', ...(s.privateKey === undefined ? {} : { private: s.privateKey }) }
  return {
    secret,
    sign: { algorithm: s.algorithm, iss: s.issuer, aud: s.audience, expiresIn: s.accessTtlSeconds },
    verify: {
      algorithms: [s.algorithm],
      allowedIss: s.issuer,
      allowedAud: s.audience,
      clockTolerance: s.clockToleranceMs,
      requiredClaims: ['exp', 'iat', 'sub', 'iss', 'aud'],
    },
  }
}
