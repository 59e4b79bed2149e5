/** The part of a pino logger the Redis adapters use; pass the service's logger (or a child of it). */
export interface Logger {
  warn (obj: object, msg: string): void
}

export const silentLogger: Logger = { warn () {} }
