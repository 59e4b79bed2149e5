import { Registry, collectDefaultMetrics } from 'prom-client'

/**
 * A Prometheus registry for one process. Components take it as a dependency and register their own
 * metrics on it (prefixed `chat_<service>_`), so tests can build many apps in one process.
 */
export function createMetricsRegistry (options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  return registry
}
