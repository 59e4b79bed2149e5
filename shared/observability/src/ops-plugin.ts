import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Registry } from 'prom-client'

/** A named readiness check. Must not throw; `false` means not ready. */
export type ReadinessCheck = () => boolean | Promise<boolean>

export interface OpsOptions {
  readonly registry: Registry
  /** Every check must pass for `/readyz` to answer 200. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>
  /** When it returns true `/readyz` answers 503 whatever the checks say (a draining process). */
  readonly isDraining?: () => boolean
}

async function runChecks (checks: Readonly<Record<string, ReadinessCheck>>): Promise<Record<string, boolean>> {
  const entries = await Promise.all(Object.entries(checks).map(async ([name, check]) => {
    try {
      return [name, await check()] as const
    } catch {
      return [name, false] as const
    }
  }))
  return Object.fromEntries(entries)
}

/**
 * `/metrics` (Prometheus text), `/healthz` (the process is alive: always 200 while it can answer) and
 * `/readyz` (200 when every dependency answers and the process is not draining, else 503 with the
 * failing checks).
 */
const plugin: FastifyPluginAsync<OpsOptions> = async function opsPlugin (app, opts) {
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    reply.header('content-type', opts.registry.contentType)
    return await opts.registry.metrics()
  })
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const draining = opts.isDraining?.() ?? false
    const checks = await runChecks(opts.readiness)
    const ready = !draining && Object.values(checks).every(Boolean)
    reply.code(ready ? 200 : 503)
    return { status: ready ? 'ready' : (draining ? 'draining' : 'not-ready'), checks }
  })
}

export const opsPlugin = fp(plugin, { name: 'chat-ops', fastify: '5.x' })
