import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import postgres from 'postgres'

export type ServerVar = 'DATABASE_URL' | 'REDIS_URL' | 'RABBITMQ_URL'

/** SPEC section 1: the servers tests use when the variables are unset. */
export const DEFAULT_URLS: Readonly<Record<ServerVar, string>> = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
}

const DEFAULT_PORTS: Readonly<Record<ServerVar, number>> = { DATABASE_URL: 5432, REDIS_URL: 6379, RABBITMQ_URL: 5672 }

function reachable (host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const warned = new Set<string>()

/**
 * The URL of a real server for an integration test, or undefined when it cannot be reached: then one loud
 * line names it and the caller skips. Under `CI=true` an unreachable server throws instead, failing the run.
 */
export async function serverUrl (name: ServerVar): Promise<string | undefined> {
  const url = process.env[name] ?? DEFAULT_URLS[name]
  const parsed = new URL(url)
  const port = parsed.port === '' ? DEFAULT_PORTS[name] : Number(parsed.port)
  if (await reachable(parsed.hostname, port, 2000)) return url
  const line = `!!! SKIPPING: ${name} (${parsed.hostname}:${port}) does not answer; tests that need it are skipped !!!`
  if (process.env.CI === 'true') throw new Error(`${name} (${parsed.hostname}:${port}) does not answer and CI=true`)
  if (!warned.has(name)) {
    warned.add(name)
    process.stderr.write(`\n${line}\n\n`)
  }
  return undefined
}

/** A short random name part, safe in database, vhost, queue and key names. */
export function uniqueName (tag: string): string {
  return `${tag.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`
}

export interface Disposable {
  readonly url: string
  drop (): Promise<void>
}

/** A new empty database on the server of `baseUrl`, dropped by `drop()`. One per test file keeps tests apart. */
export async function freshDatabase (baseUrl: string, tag = 'test'): Promise<Disposable> {
  const name = uniqueName(`t_${tag}`)
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop () {
      const a = postgres(baseUrl, { max: 1, onnotice: () => {} })
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await a.end()
      }
    },
  }
}

const run = promisify(execFile)

function managementBase (amqpUrl: string): { base: string, auth: string } {
  const u = new URL(amqpUrl)
  const base = process.env.RABBITMQ_MANAGEMENT_URL ?? `http://${u.hostname}:15672`
  const user = decodeURIComponent(u.username || 'guest')
  const pass = decodeURIComponent(u.password || 'guest')
  return { base, auth: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') }
}

async function management (amqpUrl: string, method: string, path: string, body?: unknown): Promise<void> {
  const { base, auth } = managementBase(amqpUrl)
  const res = await fetch(base + path, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (!res.ok && res.status !== 404) throw new Error(`rabbitmq management ${method} ${path}: ${res.status} ${await res.text()}`)
}

/**
 * A new RabbitMQ vhost the URL's user may use fully, deleted (with everything in it) by `drop()`.
 * Uses the management HTTP API (plugin enabled by scripts/rabbitmq-plugins.sh), else rabbitmqctl.
 */
export async function freshVhost (amqpUrl: string, tag = 'test'): Promise<Disposable> {
  const vhost = uniqueName(`t_${tag}`)
  const user = decodeURIComponent(new URL(amqpUrl).username || 'guest')
  const enc = encodeURIComponent(vhost)
  let viaHttp = true
  try {
    await management(amqpUrl, 'PUT', `/api/vhosts/${enc}`)
    await management(amqpUrl, 'PUT', `/api/permissions/${enc}/${encodeURIComponent(user)}`, { configure: '.*', write: '.*', read: '.*' })
  } catch {
    viaHttp = false
    await run('rabbitmqctl', ['add_vhost', vhost])
    await run('rabbitmqctl', ['set_permissions', '-p', vhost, user, '.*', '.*', '.*'])
  }
  const url = new URL(amqpUrl)
  url.pathname = `/${enc}`
  return {
    url: url.toString(),
    async drop () {
      if (viaHttp) await management(amqpUrl, 'DELETE', `/api/vhosts/${enc}`)
      else await run('rabbitmqctl', ['delete_vhost', vhost])
    },
  }
}
