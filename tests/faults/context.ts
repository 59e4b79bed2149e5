import { readFile } from 'node:fs/promises'
import {
  ChatApi, SplitDeployment, TcpProxy, freshDatabase, freshVhost, serverUrl, type Disposable, type SplitDeploymentOptions,
} from '@chat/testing'

export interface Servers {
  readonly databaseUrl: string
  readonly rabbitmqUrl: string
  readonly redisUrl: string
}

export interface DeployOptions extends Omit<SplitDeploymentOptions, 'databaseUrl' | 'rabbitmqUrl' | 'redisUrl'> {
  /** Route PostgreSQL and/or Redis through a TCP proxy the case can cut. */
  readonly proxyDatabase?: boolean
  readonly proxyRedis?: boolean
}

export interface Deployed {
  readonly deployment: SplitDeployment
  readonly api: ChatApi
  /** The real database URL (for the checker), not the proxied one. */
  readonly databaseUrl: string
  readonly databaseProxy?: TcpProxy
  readonly redisProxy?: TcpProxy
}

/**
 * What a case gets: the servers, and `deploy()` for a split deployment in its own database, vhost and
 * Redis prefix, torn down when the case ends whatever happens.
 */
export class ChaosContext {
  readonly servers: Servers
  /** `npm test`'s bounded run: cases shrink their durations and sizes. */
  readonly isSubset: boolean
  readonly #cleanups: Array<() => Promise<void>> = []
  readonly #log: (line: string) => void

  constructor (servers: Servers, isSubset: boolean, log: (line: string) => void) {
    this.servers = servers
    this.isSubset = isSubset
    this.#log = log
  }

  static async servers (): Promise<Servers> {
    const [databaseUrl, rabbitmqUrl, redisUrl] = [await serverUrl('DATABASE_URL'), await serverUrl('RABBITMQ_URL'), await serverUrl('REDIS_URL')]
    if (databaseUrl === undefined || rabbitmqUrl === undefined || redisUrl === undefined) throw new Error('the fault suite needs PostgreSQL, RabbitMQ and Redis')
    return { databaseUrl, rabbitmqUrl, redisUrl }
  }

  log (line: string): void {
    this.#log(line)
  }

  /** Runs `fn` when the case ends (last registered, first run). */
  defer (fn: () => Promise<void>): void {
    this.#cleanups.push(fn)
  }

  async deploy (options: DeployOptions = {}): Promise<Deployed> {
    const db: Disposable = await freshDatabase(this.servers.databaseUrl, 'chaos')
    this.defer(async () => { await db.drop() })
    const vhost = await freshVhost(this.servers.rabbitmqUrl, 'chaos')
    this.defer(async () => { await vhost.drop() })
    let databaseUrl = db.url
    let redisUrl = this.servers.redisUrl
    let databaseProxy: TcpProxy | undefined
    let redisProxy: TcpProxy | undefined
    if (options.proxyDatabase === true) {
      const u = new URL(db.url)
      databaseProxy = await TcpProxy.start(u.hostname, Number(u.port === '' ? 5432 : u.port))
      const p = databaseProxy
      this.defer(async () => { await p.close() })
      databaseUrl = databaseProxy.rewrite(db.url)
    }
    if (options.proxyRedis === true) {
      const u = new URL(redisUrl)
      redisProxy = await TcpProxy.start(u.hostname, Number(u.port === '' ? 6379 : u.port))
      const p = redisProxy
      this.defer(async () => { await p.close() })
      redisUrl = redisProxy.rewrite(redisUrl)
    }
    // CHAOS_PROFILE_DIR: every service process runs under --cpu-prof and writes its profile there when it exits.
    const profileDir = process.env.CHAOS_PROFILE_DIR
    const deployment = await SplitDeployment.start({
      ...(profileDir === undefined || profileDir === '' ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] }),
      ...options,
      databaseUrl,
      rabbitmqUrl: vhost.url,
      redisUrl,
      env: { LOGIN_RATE: '100000', RABBITMQ_SHARDS: '8', ...options.env },
    })
    this.defer(async () => { await deployment.stop() })
    return {
      deployment,
      api: new ChatApi(deployment.api),
      databaseUrl: db.url,
      ...(databaseProxy === undefined ? {} : { databaseProxy }),
      ...(redisProxy === undefined ? {} : { redisProxy }),
    }
  }

  async cleanup (): Promise<void> {
    while (this.#cleanups.length > 0) {
      const fn = this.#cleanups.pop()
      try {
        await fn?.()
      } catch (err) {
        this.#log(`cleanup failed: ${(err as Error).message}`)
      }
    }
  }
}

/** Resident set size of a process, in bytes (from /proc). */
export async function rssBytes (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m === null ? 0 : Number(m[1]) * 1024
}

/** Open file descriptors of a process. */
export async function openFiles (pid: number): Promise<number> {
  const { readdir } = await import('node:fs/promises')
  return (await readdir(`/proc/${pid}/fd`).catch(() => [])).length
}
