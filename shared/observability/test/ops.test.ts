import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { Counter } from 'prom-client'
import { closeAll, createMetricsRegistry, opsPlugin, silentLogger } from '../src/index.js'

test('/metrics, /healthz and /readyz', async (t) => {
  const registry = createMetricsRegistry()
  new Counter({ name: 'chat_test_total', help: 'a test counter', registers: [registry] }).inc(3)
  let dbUp = true
  let draining = false
  const app = Fastify()
  t.after(() => app.close())
  await app.register(opsPlugin, { registry, readiness: { database: () => dbUp, broken: async () => { if (!dbUp) throw new Error('x'); return true } }, isDraining: () => draining })
  const metrics = await app.inject('/metrics')
  assert.equal(metrics.statusCode, 200)
  assert.match(metrics.body, /chat_test_total 3/)
  assert.match(metrics.body, /process_cpu_user_seconds_total/, 'default process metrics')
  assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' })
  assert.equal((await app.inject('/readyz')).statusCode, 200)
  dbUp = false
  const down = await app.inject('/readyz')
  assert.equal(down.statusCode, 503)
  assert.deepEqual(down.json(), { status: 'not-ready', checks: { database: false, broken: false } })
  dbUp = true
  draining = true
  assert.deepEqual((await app.inject('/readyz')).json(), { status: 'draining', checks: { database: true, broken: true } })
})

test('closeAll closes everything, in order, even when one fails', async () => {
  const closed: string[] = []
  await closeAll(silentLogger, [
    { close: async () => { closed.push('a') } },
    { close: async () => { throw new Error('boom') } },
    { close: async () => { closed.push('c') } },
  ])
  assert.deepEqual(closed, ['a', 'c'])
})
