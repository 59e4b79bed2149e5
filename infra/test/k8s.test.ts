import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadEdgeConfig } from '@chat/edge'
import { loadHistoryConfig } from '@chat/history'
import { loadDispatcherConfig } from '@chat/dispatcher'
import { findKubectl, renderKustomization, schemaProblems, type KubeObject } from './kubernetes.js'

// The manifests in infra/k8s, rendered by kustomize and checked offline: against the Kubernetes schemas, against
// each other (selectors, ports, names), and against the services themselves (their config loaders, their drain).

const K8S_DIR = fileURLToPath(new URL('../k8s/', import.meta.url))

/** Secret values for rendering the example overlay; the real ones live in a git-ignored secrets.env. */
const TEST_SECRETS: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://chat:test@chat-pg-rw:5432/chat',
  DATABASE_READ_URL: 'postgres://chat:test@chat-pg-ro:5432/chat',
  RABBITMQ_URL: 'amqp://chat:test@chat-rabbitmq:5672',
  REDIS_URL: 'redis://:test@chat-redis:6379',
  JWT_SECRET: 'k8s-test-secret-of-at-least-thirty-two-bytes',
  ADMIN_TOKEN: 'k8s-test-admin-token-0123456789abcdef0123456789abcdef',
}

/** What each service's `main.ts` gives `onShutdownSignal` when it has no setting of its own (its default). */
const DEFAULT_SHUTDOWN_DEADLINE_MS = 30_000

interface Container {
  name: string
  image?: string
  command?: string[]
  ports?: Array<{ name?: string, containerPort: number }>
  envFrom?: Array<{ configMapRef?: { name: string }, secretRef?: { name: string } }>
  env?: Array<{ name: string, value?: string, valueFrom?: EnvSource }>
  startupProbe?: Probe
  livenessProbe?: Probe
  readinessProbe?: Probe
  lifecycle?: { preStop?: { exec?: { command: string[] }, sleep?: { seconds: number } } }
  securityContext?: { allowPrivilegeEscalation?: boolean, readOnlyRootFilesystem?: boolean, capabilities?: { drop?: string[] } }
}
interface EnvSource {
  configMapKeyRef?: { name: string, key: string, optional?: boolean }
  secretKeyRef?: { name: string, key: string, optional?: boolean }
  fieldRef?: { fieldPath: string }
}
interface Probe { httpGet?: { path: string, port: string | number } }
interface PodSpec {
  automountServiceAccountToken?: boolean
  terminationGracePeriodSeconds?: number
  securityContext?: { runAsNonRoot?: boolean, runAsUser?: number }
  initContainers?: Container[]
  containers: Container[]
}
interface Deployment extends KubeObject {
  spec: { replicas?: number, selector: { matchLabels: Record<string, string> }, template: { metadata: { labels: Record<string, string> }, spec: PodSpec } }
}

let kubectl: string | undefined
let workDir = ''
let base: KubeObject[] = []
let overlay: KubeObject[] = []

before(async () => {
  kubectl = await findKubectl()
  if (kubectl === undefined) {
    if (process.env.CI === 'true') throw new Error('kubectl is not installed and CI=true (.ci/run installs it)')
    process.stderr.write('\n!!! SKIPPING: kubectl is not installed; the Kubernetes manifest tests are skipped !!!\n\n')
    return
  }
  // The example overlay reads secrets.env, which git never has: render a copy with test values.
  workDir = await mkdtemp(join(tmpdir(), 'chat-k8s-'))
  await cp(K8S_DIR, join(workDir, 'k8s'), { recursive: true })
  await writeFile(join(workDir, 'k8s/overlays/example/secrets.env'), Object.entries(TEST_SECRETS).map(([k, v]) => `${k}=${v}\n`).join(''))
  base = await renderKustomization(kubectl, join(workDir, 'k8s/base'))
  overlay = await renderKustomization(kubectl, join(workDir, 'k8s/overlays/example'))
})

after(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true })
})

const skipWithoutKubectl = (t: { skip: (message: string) => void }): boolean => {
  if (kubectl !== undefined) return false
  t.skip('kubectl is not installed')
  return true
}

const ofKind = <T extends KubeObject = KubeObject>(objects: readonly KubeObject[], kind: string): T[] =>
  objects.filter((o) => o.kind === kind) as T[]

const deployments = (): Deployment[] => ofKind<Deployment>(overlay, 'Deployment')

function named<T extends KubeObject> (objects: readonly KubeObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name)
  assert.ok(found !== undefined, `${kind} ${name} exists`)
  return found as T
}

/** The environment a container starts with: its ConfigMaps and Secrets resolved as the kubelet would. */
function containerEnv (objects: readonly KubeObject[], podName: string, container: Container): Record<string, string> {
  const configMap = (name: string): Record<string, string> => named<KubeObject & { data: Record<string, string> }>(objects, 'ConfigMap', name).data
  const secret = (name: string): Record<string, string> => {
    const data = named<KubeObject & { data?: Record<string, string> }>(objects, 'Secret', name).data ?? {}
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
  }
  const env: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef !== undefined) Object.assign(env, configMap(source.configMapRef.name))
    if (source.secretRef !== undefined) Object.assign(env, secret(source.secretRef.name))
  }
  for (const entry of container.env ?? []) {
    const from = entry.valueFrom
    let value: string | undefined = entry.value
    if (from?.configMapKeyRef !== undefined) value = configMap(from.configMapKeyRef.name)[from.configMapKeyRef.key]
    if (from?.secretKeyRef !== undefined) value = secret(from.secretKeyRef.name)[from.secretKeyRef.key]
    if (from?.fieldRef !== undefined) {
      assert.equal(from.fieldRef.fieldPath, 'metadata.name', `${container.name}: ${entry.name} comes from a field this test knows`)
      value = podName
    }
    const optional = from?.configMapKeyRef?.optional === true || from?.secretKeyRef?.optional === true
    assert.ok(value !== undefined || optional, `${container.name}: ${entry.name} resolves (a required key is missing)`)
    if (value !== undefined) env[entry.name] = value
  }
  return env
}

const portNumber = (container: Container, port: string | number | undefined): number | undefined =>
  typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort

function preStopSeconds (container: Container): number {
  const preStop = container.lifecycle?.preStop
  if (preStop?.sleep !== undefined) return preStop.sleep.seconds
  const command = preStop?.exec?.command ?? []
  return command[0] === 'sleep' ? Number(command[1]) : 0
}

test('the base and the example overlay render offline, and every object is valid Kubernetes 1.36 with no unknown field', async (t) => {
  if (skipWithoutKubectl(t)) return
  assert.ok(base.length >= 10 && overlay.length > base.length, `rendered ${base.length} base and ${overlay.length} overlay objects`)
  const problems = (await Promise.all([...base, ...overlay].map(schemaProblems))).flat()
  assert.deepEqual(problems, [])
  // What the issue asks for is there.
  const kinds = new Set(overlay.map((o) => o.kind))
  for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Ingress', 'ConfigMap', 'Secret']) {
    assert.ok(kinds.has(kind), `the overlay has a ${kind}`)
  }
  assert.deepEqual(deployments().map((d) => d.metadata.name).sort(), ['chat-dispatcher', 'chat-edge', 'chat-history'])
})

test('a manifest with a wrong type, a misspelt field or an unknown kind is rejected', async (t) => {
  if (skipWithoutKubectl(t)) return
  const edge = named<Deployment>(overlay, 'Deployment', 'chat-edge')

  const wrongType = structuredClone(edge)
  Object.assign(wrongType.spec, { replicas: 'three' })
  assert.match((await schemaProblems(wrongType)).join('\n'), /\/spec\/replicas: must be integer/)

  const misspelt = structuredClone(edge)
  const container = misspelt.spec.template.spec.containers[0] as Container & { readinesProbe?: unknown }
  container.readinesProbe = container.readinessProbe
  delete container.readinessProbe
  assert.deepEqual(await schemaProblems(misspelt), ['Deployment chat-edge: /spec/template/spec/containers/0/readinesProbe: unknown field'])

  // Secret data is base64 (folded over lines or not: the API server's decoder skips line breaks).
  const secret = ofKind<KubeObject & { data: Record<string, string> }>(overlay, 'Secret')[0]
  assert.ok(secret !== undefined)
  assert.deepEqual(await schemaProblems({ ...secret, data: { ...secret.data, JWT_SECRET: `${secret.data.JWT_SECRET ?? ''}\n` } }), [])
  assert.match((await schemaProblems({ ...secret, data: { ...secret.data, JWT_SECRET: 'not base64!' } })).join(), /\/data\/JWT_SECRET: must match format "byte"/)

  assert.match((await schemaProblems({ ...edge, kind: 'Deploymnet' })).join(), /no such kind/)
  assert.match((await schemaProblems({ ...edge, apiVersion: 'apps/v1beta9' })).join(), /no such kind/)

  // The whole path too: an overlay on the example that breaks two fields renders, and the check refuses it.
  const broken = join(workDir, 'k8s/overlays/broken')
  await mkdir(broken)
  await writeFile(join(broken, 'kustomization.yaml'), [
    'resources: [../example]',
    'patches:',
    '  - path: patch.yaml',
    '    target: { kind: Deployment, name: chat-edge }', '',
  ].join('\n'))
  await writeFile(join(broken, 'patch.yaml'), [
    '- op: add', '  path: /spec/template/spec/terminationGracePeriodSecond', '  value: 45',
    '- op: replace', '  path: /spec/template/spec/containers/0/ports/0/containerPort', '  value: "8080"', '',
  ].join('\n'))
  const rendered = await renderKustomization(kubectl ?? 'kubectl', broken)
  const brokenProblems = (await Promise.all(rendered.map(schemaProblems))).flat()
  assert.deepEqual(brokenProblems.sort(), [
    'Deployment chat-edge: /spec/template/spec/containers/0/ports/0/containerPort: must be integer',
    'Deployment chat-edge: /spec/template/spec/terminationGracePeriodSecond: unknown field',
  ])
})

test('every service starts with its pod\'s environment: each config loader accepts it', async (t) => {
  if (skipWithoutKubectl(t)) return
  const loaders: Record<string, (env: Record<string, string>) => unknown> = {
    edge: (env) => loadEdgeConfig(env, { requireServers: true }),
    history: (env) => loadHistoryConfig(env, { requireServers: true }),
    dispatcher: (env) => loadDispatcherConfig(env, { requireServers: true }),
  }
  for (const deployment of deployments()) {
    const pod = deployment.spec.template.spec
    const podName = `${deployment.metadata.name}-7d4b9c8f6d-x2k9p`
    for (const container of pod.containers) {
      const load = loaders[container.name]
      assert.ok(load !== undefined, `${container.name} is a service this test knows`)
      assert.doesNotThrow(() => load(containerEnv(overlay, podName, container)), `${container.name} accepts its environment`)
      assert.deepEqual(container.command, ['node', `services/${container.name}/dist/main.js`])
    }
    // Every pod migrates first (under the advisory lock), so no service meets an older schema.
    const migrate = pod.initContainers?.find((c) => c.name === 'migrate')
    assert.ok(migrate !== undefined, `${deployment.metadata.name} has a migrate init container`)
    assert.deepEqual(migrate.command, ['node', 'services/history/dist/migrate.js'])
    assert.ok(containerEnv(overlay, podName, migrate).DATABASE_URL?.startsWith('postgres://'))
    const images = new Set([...pod.containers, migrate].map((c) => c.image))
    assert.deepEqual([...images], ['registry.example.com/stomp-chat:0.1.0'], 'one image, the overlay\'s')
  }
})

test('probes: started and alive on /healthz, ready on /readyz, each on the port the service listens on', async (t) => {
  if (skipWithoutKubectl(t)) return
  for (const deployment of deployments()) {
    const podName = `${deployment.metadata.name}-0`
    for (const container of deployment.spec.template.spec.containers) {
      const listening = Number(containerEnv(overlay, podName, container).PORT)
      const probes = { startupProbe: '/healthz', livenessProbe: '/healthz', readinessProbe: '/readyz' } as const
      for (const [probe, path] of Object.entries(probes)) {
        const httpGet = container[probe as keyof typeof probes]?.httpGet
        assert.equal(httpGet?.path, path, `${container.name} ${probe}`)
        assert.equal(portNumber(container, httpGet?.port), listening, `${container.name} ${probe} asks port ${listening}`)
      }
    }
  }
})

test('each pod\'s grace period outlasts its preStop hook plus its shutdown deadline', async (t) => {
  if (skipWithoutKubectl(t)) return
  for (const deployment of deployments()) {
    const pod = deployment.spec.template.spec
    const container = pod.containers[0]
    assert.ok(container !== undefined)
    const env = containerEnv(overlay, `${deployment.metadata.name}-0`, container)
    // The edge's deadline is its own setting (EDGE_SHUTDOWN_DEADLINE_MS, read by its config loader); the others use
    // onShutdownSignal's default.
    const deadlineMs = container.name === 'edge' ? loadEdgeConfig(env, { requireServers: true }).shutdownDeadlineMs : DEFAULT_SHUTDOWN_DEADLINE_MS
    const preStop = preStopSeconds(container)
    const grace = pod.terminationGracePeriodSeconds ?? 30
    assert.ok(grace >= preStop + deadlineMs / 1000 + 5, `${deployment.metadata.name}: grace ${grace} s > preStop ${preStop} s + deadline ${deadlineMs / 1000} s, with 5 s to spare`)
    // What receives traffic waits for the endpoints to drop it before it stops accepting.
    if (container.name !== 'dispatcher') assert.ok(preStop >= 3, `${container.name} has a preStop pause`)
  }
})

test('Services, Ingresses, disruption budgets and the autoscaler point at what exists', async (t) => {
  if (skipWithoutKubectl(t)) return
  const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
    Object.entries(selector).every(([k, v]) => labels[k] === v)
  const podsOf = (selector: Record<string, string>): Deployment[] =>
    deployments().filter((d) => matches(selector, d.spec.template.metadata.labels))

  for (const d of deployments()) assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name} selects its own pods`)

  type Service = KubeObject & { spec: { selector: Record<string, string>, ports: Array<{ name: string, port: number, targetPort: string }> } }
  for (const service of ofKind<Service>(overlay, 'Service')) {
    const [target, ...others] = podsOf(service.spec.selector)
    assert.ok(target !== undefined && others.length === 0, `Service ${service.metadata.name} selects one Deployment`)
    const container = target.spec.template.spec.containers[0]
    assert.ok(container !== undefined)
    for (const port of service.spec.ports) assert.equal(portNumber(container, port.targetPort), port.port, `${service.metadata.name}:${port.name}`)
  }

  type Ingress = KubeObject & { spec: { ingressClassName?: string, tls?: unknown[], rules: Array<{ host?: string, http: { paths: Array<{ path: string, backend: { service: { name: string, port: { name: string } } } }> } }> } }
  const routes = new Map<string, string>()
  for (const ingress of ofKind<Ingress>(overlay, 'Ingress')) {
    assert.ok(ingress.spec.ingressClassName !== undefined && ingress.spec.tls !== undefined, `${ingress.metadata.name}: the overlay sets the class and TLS`)
    for (const rule of ingress.spec.rules) {
      assert.equal(rule.host, 'chat.example.com')
      for (const path of rule.http.paths) {
        const service = named<Service>(overlay, 'Service', path.backend.service.name)
        assert.ok(service.spec.ports.some((p) => p.name === path.backend.service.port.name), `${ingress.metadata.name} ${path.path}: the port exists`)
        routes.set(path.path, service.metadata.name)
      }
    }
  }
  // The WebSocket goes to the edges, everything else (the page, /api, /docs) to history.
  assert.deepEqual(Object.fromEntries(routes), { '/ws': 'chat-edge', '/': 'chat-history' })
  const ws = named<Ingress>(overlay, 'Ingress', 'chat-ws')
  assert.equal(ws.metadata.annotations?.['haproxy.org/timeout-tunnel'], '3600s')
  assert.equal(ws.metadata.annotations?.['nginx.org/websocket-services'], 'chat-edge')

  type Budget = KubeObject & { spec: { selector: { matchLabels: Record<string, string> }, maxUnavailable?: number } }
  const budgets = ofKind<Budget>(overlay, 'PodDisruptionBudget')
  for (const d of deployments()) {
    const budget = budgets.filter((b) => matches(b.spec.selector.matchLabels, d.spec.template.metadata.labels))
    assert.equal(budget.length, 1, `${d.metadata.name} has one disruption budget`)
    assert.equal(budget[0]?.spec.maxUnavailable, 1)
  }

  type Autoscaler = KubeObject & { spec: { scaleTargetRef: { kind: string, name: string }, minReplicas: number } }
  const [hpa, ...more] = ofKind<Autoscaler>(overlay, 'HorizontalPodAutoscaler')
  assert.ok(hpa !== undefined && more.length === 0)
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat-edge' })
  assert.ok(hpa.spec.minReplicas >= 3)
  // A replicas field would fight the autoscaler on every apply.
  assert.equal(named<Deployment>(overlay, 'Deployment', 'chat-edge').spec.replicas, undefined)
})

test('pods run as a non-root user, with a read-only root filesystem and no service account token', async (t) => {
  if (skipWithoutKubectl(t)) return
  for (const deployment of deployments()) {
    const pod = deployment.spec.template.spec
    assert.equal(pod.automountServiceAccountToken, false, deployment.metadata.name)
    assert.equal(pod.securityContext?.runAsNonRoot, true, deployment.metadata.name)
    assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, deployment.metadata.name)
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }, `${deployment.metadata.name}/${container.name}`)
    }
  }
})

test('the base carries no secret, and secrets.env.example describes every key the pods read', async (t) => {
  if (skipWithoutKubectl(t)) return
  assert.deepEqual(ofKind(base, 'Secret'), [])
  const example = await readFile(join(K8S_DIR, 'overlays/example/secrets.env.example'), 'utf8')
  const described = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))
  const read = new Set<string>()
  for (const d of deployments()) {
    for (const c of [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers]) {
      for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef !== undefined) read.add(e.valueFrom.secretKeyRef.key)
    }
  }
  // JWT_PUBLIC_KEY and JWT_PRIVATE_KEY are described together with JWT_SECRET, as its alternative.
  const missing = [...read].filter((key) => !described.has(key) && !(key.startsWith('JWT_') && example.includes(key)))
  assert.deepEqual(missing, [])
})
