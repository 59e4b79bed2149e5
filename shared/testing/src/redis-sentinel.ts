import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './processes.js'
import { waitFor } from './wait.js'

/** A Redis primary, its replica and three Sentinels on loopback ports of their own. */
export interface RedisSentinelSet {
  /** The name the Sentinels monitor (`REDIS_SENTINEL_NAME`). */
  readonly name: string
  /** `REDIS_SENTINELS`: `127.0.0.1:{port}` of each Sentinel. */
  readonly sentinels: readonly { readonly host: string, readonly port: number }[]
  /** Ports of the two data servers; the first starts as the primary. */
  readonly ports: readonly [number, number]
  /** Sends one command to the server on `port` and resolves with its raw RESP reply. */
  command (port: number, ...args: readonly string[]): Promise<string>
  /** The port the Sentinels currently name as the primary. */
  primaryPort (): Promise<number>
  /** Kills the data server on `port` at once (SIGKILL), as a crashed machine would. */
  kill (port: number): void
  /** Stops every process and removes the files. */
  stop (): Promise<void>
}

/**
 * Starts `redis-server` twice (primary, replica) and three `redis-server --sentinel` with quorum 2, fast failover
 * (the primary counts as down after 500 ms), all on free loopback ports with their files in a temporary
 * directory. Undefined when `redis-server` is not installed. Resolves once the Sentinels see the replica.
 */
export async function startRedisSentinelSet (name = 'chat'): Promise<RedisSentinelSet | undefined> {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p))
  if (bin === undefined) return undefined
  const dir = await mkdtemp(join(tmpdir(), 'chat-redis-'))
  const children = new Map<number, ChildProcess>()
  const start = async (port: number, conf: string, sentinel: boolean): Promise<void> => {
    const file = join(dir, `${port}.conf`)
    await writeFile(file, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsave ""\nappendonly no\n${conf}`)
    const child = spawn(bin, sentinel ? [file, '--sentinel'] : [file], { stdio: 'ignore' })
    children.set(port, child)
    await waitFor(async () => (await command(port, 'PING').catch(() => '')).startsWith('+PONG'), { timeoutMs: 10_000, what: `redis on ${port}` })
  }
  const primary = await freePort()
  const replica = await freePort()
  const sentinelPorts = [await freePort(), await freePort(), await freePort()]
  const set: RedisSentinelSet = {
    name,
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    ports: [primary, replica],
    command,
    async primaryPort () {
      const reply = await command(sentinelPorts[0] as number, 'SENTINEL', 'get-master-addr-by-name', name)
      return Number(/\$\d+\r\n(\d+)\r\n$/.exec(reply)?.[1])
    },
    kill (port) {
      children.get(port)?.kill('SIGKILL')
      children.delete(port)
    },
    async stop () {
      for (const child of children.values()) child.kill('SIGKILL')
      children.clear()
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    await start(primary, '', false)
    await start(replica, `replicaof 127.0.0.1 ${primary}\n`, false)
    for (const port of sentinelPorts) {
      await start(port, [
        `sentinel monitor ${name} 127.0.0.1 ${primary} 2`,
        `sentinel down-after-milliseconds ${name} 500`,
        `sentinel failover-timeout ${name} 3000`,
        `sentinel parallel-syncs ${name} 1`, '',
      ].join('\n'), true)
    }
    await waitFor(async () => /num-slaves\r\n\$1\r\n1/.test(await command(sentinelPorts[0] as number, 'SENTINEL', 'master', name)),
      { timeoutMs: 15_000, what: 'the Sentinels to see the replica' })
  } catch (err) {
    await set.stop()
    throw err
  }
  return set
}

/** One RESP command over a short-lived connection; resolves with the raw reply once a full line came back. */
async function command (port: number, ...args: readonly string[]): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`redis ${port}: no reply`)) }, 2_000)
    socket.on('error', (err) => { clearTimeout(timer); reject(err) })
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (complete(reply)) {
        clearTimeout(timer)
        socket.end()
        resolve(reply)
      }
    })
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
  })
}

/** Whether `reply` holds one complete RESP value (enough for the simple replies and arrays used here). */
function complete (reply: string): boolean {
  let at = 0
  const value = (): boolean => {
    const end = reply.indexOf('\r\n', at)
    if (end < 0) return false
    const type = reply[at]
    const head = reply.slice(at + 1, end)
    at = end + 2
    if (type === '$') {
      const n = Number(head)
      if (n < 0) return true
      if (reply.length < at + n + 2) return false
      at += n + 2
      return true
    }
    if (type === '*') {
      for (let i = 0; i < Number(head); i++) if (!value()) return false
      return true
    }
    return true
  }
  return value()
}
