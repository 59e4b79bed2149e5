import type { Logger } from 'pino'

/** Anything holding a resource (R14). */
export interface Closeable {
  close (): Promise<void>
}

/**
 * Runs `handler` once on the first SIGTERM or SIGINT; a second signal exits at once. The handler owns
 * the order of shutdown; after it the process exits with 0, or 1 if it threw or overran `deadlineMs`.
 */
export function onShutdownSignal (log: Logger, handler: () => Promise<void>, deadlineMs = 30_000): void {
  let started = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      log.warn({ signal }, 'second signal, exiting now')
      process.exit(1)
    }
    started = true
    log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown overran its deadline')
      process.exit(1)
    }, deadlineMs)
    timer.unref()
    handler().then(() => {
      log.info('shut down')
      process.exit(0)
    }, (err: unknown) => {
      log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
}

/** Closes each resource, in order, logging (not throwing) failures, so one bad close cannot leak the rest. */
export async function closeAll (log: Logger, resources: readonly Closeable[]): Promise<void> {
  for (const r of resources) {
    try {
      await r.close()
    } catch (err) {
      log.error({ err }, 'close failed')
    }
  }
}
