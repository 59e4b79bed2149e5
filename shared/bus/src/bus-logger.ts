import type { Logger } from '@chat/observability'

/** The part of a pino `Logger` the bus uses. */
export type BusLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>

const noop = (): void => {}

/** Writes nothing: the default of the in-process bus. */
export const silentBusLogger: BusLogger = { debug: noop, info: noop, warn: noop, error: noop }
