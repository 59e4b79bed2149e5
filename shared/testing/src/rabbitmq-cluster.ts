import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { freePort } from './processes.js'
import { waitFor } from './wait.js'

const run = promisify(execFile)
const SBIN = '/usr/lib/rabbitmq/bin'

/** One node of a throwaway cluster. */
export interface RabbitNode {
  /** Erlang node name, e.g. `chat-a-1f2e@localhost`. */
  readonly name: string
  /** AMQP port on 127.0.0.1. */
  readonly port: number
  /** `amqp://guest:guest@127.0.0.1:{port}` */
  readonly url: string
}

/** RabbitMQ nodes on loopback ports of their own, joined into one cluster. Never the machine's own `rabbit@localhost`. */
export interface RabbitCluster {
  readonly nodes: readonly RabbitNode[]
  /** `rabbitmqctl`-family tool (`rabbitmqctl`, `rabbitmq-queues`…) against one node, with this cluster's cookie. */
  ctl (node: RabbitNode, tool: string, ...args: readonly string[]): Promise<string>
  /** Kills a node at once (SIGKILL to its Erlang VM), as a crashed machine would. */
  kill (node: RabbitNode): void
  /** Stops every node and removes their files. */
  stop (): Promise<void>
}

/**
 * Starts `count` RabbitMQ nodes (3.10, Debian's package) and clusters them, each with its own node name, AMQP and
 * distribution ports, data, log and config directories, no plugins, and one Erlang cookie made for this cluster
 * (in a HOME of its own, so neither the machine's node nor its cookie is touched). Undefined when RabbitMQ is not
 * installed. Takes tens of seconds on two cores; for a separate suite, not for `npm test`.
 */
export async function startRabbitCluster (count = 3): Promise<RabbitCluster | undefined> {
  if (!existsSync(join(SBIN, 'rabbitmq-server'))) return undefined
  const dir = await mkdtemp(join(tmpdir(), 'chat-rabbit-'))
  const home = join(dir, 'home')
  await mkdir(home)
  await writeFile(join(home, '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase())
  await chmod(join(home, '.erlang.cookie'), 0o400)
  const tag = randomBytes(2).toString('hex')
  const children = new Map<string, ChildProcess>()
  const nodes: RabbitNode[] = []
  const envOf = new Map<string, NodeJS.ProcessEnv>()
  for (let i = 0; i < count; i++) {
    const name = `chat-${String.fromCharCode(97 + i)}-${tag}@localhost`
    const port = await freePort()
    const distPort = await freePort()
    const base = join(dir, `node${i}`)
    await mkdir(base)
    const conf = join(base, 'rabbitmq')
    await writeFile(`${conf}.conf`, [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      'loopback_users = none',
      // Small and quiet: the tests' queues are tiny.
      'vm_memory_high_watermark.absolute = 512MB',
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n'))
    await writeFile(join(base, 'enabled_plugins'), '[].\n')
    await writeFile(join(base, 'rabbitmq-env.conf'), '')
    envOf.set(name, {
      ...process.env,
      HOME: home,
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONFIG_FILE: conf,
      RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: join(base, 'log'),
      RABBITMQ_PID_FILE: join(base, 'pid'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(base, 'advanced.config'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    })
    nodes.push({ name, port, url: `amqp://guest:guest@127.0.0.1:${port}` })
  }
  const ctl = async (node: RabbitNode, tool: string, ...args: readonly string[]): Promise<string> => {
    const { stdout } = await run(join(SBIN, tool), ['-q', '-n', node.name, ...args], { env: envOf.get(node.name), timeout: 120_000 })
    return stdout
  }
  const cluster: RabbitCluster = {
    nodes,
    ctl,
    kill (node) {
      const child = children.get(node.name)
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }
      children.delete(node.name)
    },
    async stop () {
      for (const node of nodes) cluster.kill(node)
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    for (const node of nodes) {
      const child = spawn(join(SBIN, 'rabbitmq-server'), [], { env: envOf.get(node.name), stdio: 'ignore', detached: true })
      children.set(node.name, child)
    }
    // A node answers the CLI only once it registered with epmd; then await_startup waits for the boot to finish.
    for (const node of nodes) {
      await waitFor(async () => await ctl(node, 'rabbitmqctl', 'ping').then(() => true, () => false), { timeoutMs: 120_000, what: `${node.name} to start` })
      await ctl(node, 'rabbitmqctl', 'await_startup', '--timeout', '120')
    }
    const [first, ...rest] = nodes as [RabbitNode, ...RabbitNode[]]
    for (const node of rest) {
      await ctl(node, 'rabbitmqctl', 'stop_app')
      await ctl(node, 'rabbitmqctl', 'join_cluster', first.name)
      await ctl(node, 'rabbitmqctl', 'start_app')
    }
    await waitFor(async () => {
      const status = await ctl(first, 'rabbitmqctl', 'cluster_status', '--formatter', 'json')
      const running = (JSON.parse(status) as { running_nodes?: string[] }).running_nodes ?? []
      return running.length === nodes.length
    }, { timeoutMs: 60_000, what: 'every node running in the cluster' })
  } catch (err) {
    await cluster.stop()
    throw err
  }
  return cluster
}
