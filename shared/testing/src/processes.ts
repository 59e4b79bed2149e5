import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait.js'
import { removeRedisKeys } from './redis-keys.js'
import { uniqueName } from './servers.js'

export type ServiceName = 'edge' | 'dispatcher' | 'history' | 'all-in-one'

/** The repository root, from this file's place in shared/testing/{src,dist}. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** A port nothing listens on right now. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** One service running as its own process (the production shape). */
export class ServiceProcess {
  readonly name: ServiceName
  readonly port: number
  readonly child: ChildProcess
  readonly output: string[] = []
  readonly exited: Promise<number | null>
  exitCode: number | null | undefined

  constructor (name: ServiceName, port: number, child: ChildProcess) {
    this.name = name
    this.port = port
    this.child = child
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString('utf8'))
      if (this.output.length > 2_000) this.output.splice(0, 1_000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      this.exitCode = code
      resolve(code)
    }))
  }

  get url (): string {
    return `http://127.0.0.1:${this.port}`
  }

  get wsUrl (): string {
    return `ws://127.0.0.1:${this.port}/ws`
  }

  get pid (): number {
    return this.child.pid ?? 0
  }

  get isRunning (): boolean {
    return this.exitCode === undefined
  }

  /** SIGKILL (a crash) or any signal; resolves when the process is gone. */
  async kill (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.isRunning) return
    this.child.kill(signal)
    await this.exited
  }

  /** SIGTERM and wait (bounded), then SIGKILL. */
  async stop (timeoutMs = 15_000): Promise<void> {
    if (!this.isRunning) return
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    await this.exited
    clearTimeout(t)
  }

  logs (): string {
    return this.output.join('')
  }
}

export interface StartOptions {
  /** Listen port; a free one when unset. */
  readonly port?: number
  /** Wait for `/readyz` to answer 200. @default true */
  readonly waitReady?: boolean
  readonly readyTimeoutMs?: number
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[]
}

/** Starts `node services/<name>/dist/main.js` with `env` (added to this process's) and waits until it is ready. */
export async function startService (name: ServiceName, env: Readonly<Record<string, string>>, options: StartOptions = {}): Promise<ServiceProcess> {
  const port = options.port ?? await freePort()
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), `${REPO_ROOT}services/${name}/dist/main.js`], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const proc = new ServiceProcess(name, port, child)
  if (options.waitReady ?? true) {
    try {
      await waitFor(async () => {
        if (!proc.isRunning) throw new Error(`${name} exited with ${String(proc.exitCode)}: ${proc.logs().slice(-2000)}`)
        const res = await fetch(`${proc.url}/readyz`).catch(() => undefined)
        return res?.status === 200
      }, { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 50, what: `${name} ready` })
    } catch (err) {
      await proc.kill()
      throw new Error(`${name} did not become ready: ${(err as Error).message}\n${proc.logs().slice(-3000)}`, { cause: err })
    }
  }
  return proc
}

export interface SplitDeploymentOptions {
  readonly databaseUrl: string
  readonly rabbitmqUrl: string
  readonly redisUrl: string
  /** @default 1 */
  readonly edges?: number
  /** @default 1 */
  readonly dispatchers?: number
  /** Added to every process's environment. */
  readonly env?: Readonly<Record<string, string>>
  /** Per-service extra environment. */
  readonly edgeEnv?: Readonly<Record<string, string>>
  readonly dispatcherEnv?: Readonly<Record<string, string>>
  readonly nodeArgs?: readonly string[]
}

/** History, dispatchers and edges as separate processes sharing one database, vhost and Redis prefix. */
export class SplitDeployment {
  readonly env: Readonly<Record<string, string>>
  history!: ServiceProcess
  readonly edges: ServiceProcess[] = []
  readonly dispatchers: ServiceProcess[] = []
  readonly #options: SplitDeploymentOptions

  constructor (options: SplitDeploymentOptions) {
    this.#options = options
    this.env = {
      DATABASE_URL: options.databaseUrl,
      RABBITMQ_URL: options.rabbitmqUrl,
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: `${uniqueName('t')}:`,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ...options.env,
    }
  }

  static async start (options: SplitDeploymentOptions): Promise<SplitDeployment> {
    const d = new SplitDeployment(options)
    try {
      // History first: it applies the migrations the others rely on.
      d.history = await startService('history', d.env, d.#startOptions())
      await Promise.all([
        ...Array.from({ length: options.dispatchers ?? 1 }, async () => { await d.addDispatcher() }),
        ...Array.from({ length: options.edges ?? 1 }, async () => { await d.addEdge() }),
      ])
    } catch (err) {
      await d.stop()
      throw err
    }
    return d
  }

  get api (): string {
    return this.history.url
  }

  async addEdge (env: Readonly<Record<string, string>> = {}, options: StartOptions = {}): Promise<ServiceProcess> {
    const e = await startService('edge', { ...this.env, INSTANCE_ID: uniqueName('edge'), ...this.#options.edgeEnv, ...env }, { ...this.#startOptions(), ...options })
    this.edges.push(e)
    return e
  }

  async addDispatcher (env: Readonly<Record<string, string>> = {}): Promise<ServiceProcess> {
    const p = await startService('dispatcher', { ...this.env, INSTANCE_ID: uniqueName('disp'), ...this.#options.dispatcherEnv, ...env }, this.#startOptions())
    this.dispatchers.push(p)
    return p
  }

  all (): ServiceProcess[] {
    return [this.history, ...this.edges, ...this.dispatchers].filter((p) => p !== undefined)
  }

  /** Stops every process, then removes the deployment's Redis keys (its `REDIS_PREFIX`). */
  async stop (): Promise<void> {
    await Promise.all(this.all().map(async (p) => await p.stop(5_000)))
    const prefix = this.env.REDIS_PREFIX
    if (prefix !== undefined && prefix !== '' && this.env.REDIS_URL !== undefined) {
      await removeRedisKeys(this.env.REDIS_URL, prefix).catch(() => {})
    }
  }

  #startOptions (): StartOptions {
    return this.#options.nodeArgs === undefined ? {} : { nodeArgs: this.#options.nodeArgs }
  }
}
