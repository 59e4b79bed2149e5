import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { loadEdgeConfig } from '@chat/edge'

// infra/compose.yaml, its HAProxy configuration and infra/Dockerfile, read as files: Docker does not run on the
// project's CI machine, so what a running stack would show is checked here by what the files say.

const INFRA = new URL('../', import.meta.url)
const read = async (path: string): Promise<string> => await readFile(new URL(path, INFRA), 'utf8')

interface Service {
  image?: string
  command?: string[]
  ports?: string[]
  volumes?: string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }> | string[]
  stop_grace_period?: string
  deploy?: { replicas?: number }
}
interface Compose { services: Record<string, Service> }

const compose = parse(await read('compose.yaml'), { merge: true }) as Compose
const services = compose.services
const edges = Object.entries(services).filter(([, s]) => s.command?.includes('services/edge/dist/main.js'))

/** Seconds of a compose duration such as `40s` or `1m30s`. */
function seconds (duration: string | undefined): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration ?? '')
  assert.ok(m !== null && duration !== '', `a duration: ${String(duration)}`)
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)
}

test('three edges, each with its own INSTANCE_ID, behind HAProxy, which sends /ws to them and the rest to history', async () => {
  assert.equal(edges.length, 3)
  assert.deepEqual(new Set(edges.map(([, s]) => s.environment?.INSTANCE_ID)).size, 3)
  const haproxy = services.haproxy
  assert.ok(haproxy?.image?.startsWith('haproxy:') === true)
  assert.ok(haproxy.volumes?.includes('./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro'))
  const cfg = await read('haproxy/haproxy.cfg')
  for (const [name] of edges) assert.match(cfg, new RegExp(`^\\s*server\\s+\\S+\\s+${name}:8080\\b`, 'm'), `haproxy.cfg balances ${name}`)
  assert.match(cfg, /^\s*server\s+\S+\s+history:8081\b/m)
  assert.match(cfg, /^\s*timeout tunnel\s/m, 'WebSocket connections get a tunnel timeout')
  // Only HAProxy faces the clients: the services publish nothing.
  for (const [name, s] of Object.entries(services)) if (name !== 'haproxy' && name !== 'rabbitmq') assert.equal(s.ports, undefined, name)
})

test('RabbitMQ is a supported 4.x, with its management UI published on 127.0.0.1 only', () => {
  const rabbitmq = services.rabbitmq
  const major = Number(/^rabbitmq:(\d+)\./.exec(rabbitmq?.image ?? '')?.[1])
  assert.ok(major >= 4, `RabbitMQ ${String(rabbitmq?.image)}`)
  assert.deepEqual(rabbitmq?.ports, ['127.0.0.1:15672:15672'])
  // Every published port is on loopback unless the operator says otherwise.
  for (const s of Object.values(services)) {
    for (const port of s.ports ?? []) assert.match(port, /^(127\.0\.0\.1|\$\{CHAT_BIND:-127\.0\.0\.1\}):/, port)
  }
})

test('no credential has a default: each comes from the environment, and compose refuses to start without it', () => {
  const credential = /(PASSWORD|_PASS|SECRET)$/
  for (const [name, s] of Object.entries(services)) {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (credential.test(key)) assert.match(value, /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name}: ${key} is required from the environment`)
      // Credentials inside URLs likewise.
      const inUrl = /:\/\/[^:/@]*:([^@]*)@/.exec(value)?.[1]
      if (inUrl !== undefined) assert.match(inUrl, /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name}: ${key}'s password is required from the environment`)
    }
  }
})

test('the edges get longer to stop than their drain deadline; every app service waits for the migrations', () => {
  const deadlineSeconds = loadEdgeConfig({}, { requireServers: false }).shutdownDeadlineMs / 1000
  for (const [name, s] of edges) assert.ok(seconds(s.stop_grace_period) > deadlineSeconds, `${name} stop_grace_period > ${deadlineSeconds} s`)
  for (const [name, s] of Object.entries(services)) {
    if (!(s.command?.[1]?.endsWith('/main.js') ?? false)) continue
    assert.deepEqual((s.depends_on as Record<string, { condition: string }>).migrate, { condition: 'service_completed_successfully' }, name)
  }
  assert.deepEqual(services.migrate?.command, ['node', 'services/history/dist/migrate.js'])
})

test('the image: multi-stage, production dependencies only, non-root, with a health check and the services\' ports', async () => {
  const dockerfile = await read('Dockerfile')
  const stages = dockerfile.split(/^FROM /m).slice(1)
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage')
  const runtime = stages.at(-1) ?? ''
  assert.match(runtime, /npm ci --omit=dev/)
  assert.match(runtime, /^USER node$/m)
  assert.match(runtime, /^HEALTHCHECK .*\/healthz/ms)
  const exposed = /^EXPOSE (.+)$/m.exec(runtime)?.[1]?.split(/\s+/).map(Number) ?? []
  const listening = Object.values(services).map((s) => Number(s.environment?.PORT)).filter((p) => p > 0)
  for (const port of listening) assert.ok(exposed.includes(port), `EXPOSE ${port}`)
})
