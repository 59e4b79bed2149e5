import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './processes.js'

const run = promisify(execFile)

/** A PostgreSQL primary and its streaming replica on loopback ports of their own, in a temporary directory. */
export interface PostgresReplicaPair {
  /** `postgres://postgres@127.0.0.1:{port}/postgres` of the primary. */
  readonly primaryUrl: string
  /** The same of the replica (hot standby: read-only). */
  readonly replicaUrl: string
  /** Stops both servers and removes their files. */
  stop (): Promise<void>
}

/** Where Debian keeps the server binaries; undefined when none is installed. */
function binDir (): string | undefined {
  for (const v of ['17', '16', '15', '14']) {
    const dir = `/usr/lib/postgresql/${v}/bin`
    if (existsSync(join(dir, 'initdb'))) return dir
  }
  return undefined
}

/**
 * Starts a throwaway primary (`initdb`, trust authentication on 127.0.0.1) and a streaming replica of it
 * (`pg_basebackup -R`), each on a free port, run as the `postgres` user when started as root. Never touches the
 * machine's own clusters. Undefined when the PostgreSQL server binaries are not installed. About five seconds.
 */
export async function startPostgresReplicaPair (): Promise<PostgresReplicaPair | undefined> {
  const bin = binDir()
  if (bin === undefined) return undefined
  const dir = await mkdtemp(join(tmpdir(), 'chat-pg-'))
  const asRoot = process.getuid?.() === 0
  const pg = async (tool: string, args: readonly string[]): Promise<void> => {
    const file = join(bin, tool)
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir })
    else await run(file, [...args], { cwd: dir })
  }
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout), Number(gid))
  }
  const [primaryPort, replicaPort] = [await freePort(), await freePort()]
  const primary = join(dir, 'primary')
  const replica = join(dir, 'replica')
  const started: string[] = []
  const stop = async (): Promise<void> => {
    for (const d of started.reverse()) await pg('pg_ctl', ['-D', d, '-m', 'immediate', '-w', 'stop']).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await pg('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '--no-sync'])
    await appendFile(join(primary, 'postgresql.conf'), [
      `port = ${primaryPort}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`,
      'wal_level = replica', 'max_wal_senders = 4', 'fsync = off', 'synchronous_commit = off', '',
    ].join('\n'))
    await pg('pg_ctl', ['-D', primary, '-l', join(dir, 'primary.log'), '-w', 'start'])
    started.push(primary)
    await pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica, '-R', '-X', 'stream'])
    await appendFile(join(replica, 'postgresql.conf'), `port = ${replicaPort}\nhot_standby = on\n`)
    await pg('pg_ctl', ['-D', replica, '-l', join(dir, 'replica.log'), '-w', 'start'])
    started.push(replica)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
    stop,
  }
}
