import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/** Paths never written to logs: credentials and tokens (STYLE R21). */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.passcode',
  'password',
  'refreshToken',
  'accessToken',
  'token',
]

/** Options for pino and for Fastify's `logger`, so every service logs the same way. */
export function loggerOptions (level: string, service: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
}

export function createLogger (level: string, service: string): Logger {
  return pino(loggerOptions(level, service))
}

/** A logger that writes nothing: for tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' })
