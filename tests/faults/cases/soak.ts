import { setTimeout as sleep } from 'node:timers/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { openFiles, rssBytes, type Deployed } from '../context.js'
import { Traffic } from '../traffic.js'
import { brokerCounts } from './broker.js'

const run = promisify(execFile)

interface Sample {
  readonly minute: number
  readonly rssMb: Record<string, number>
  readonly fds: Record<string, number>
  readonly channels: number
  readonly bindings: number
  readonly queues: number
  readonly fault: string
}

type Fault = (d: Deployed, log: (s: string) => void) => Promise<void>

/** Pids the faults stopped on purpose. */
const stopped = new Set<number>()

/** The faults of this list the soak draws from, one a minute. */
const FAULTS: Record<string, Fault> = {
  'kill -9 a dispatcher, restart it': async (d) => {
    const victim = d.deployment.dispatchers.find((p) => p.isRunning)
    if (victim !== undefined) stopped.add(victim.pid)
    await victim?.kill('SIGKILL')
    await d.deployment.addDispatcher()
  },
  'kill -9 an edge, start another': async (d) => {
    const victim = d.deployment.edges.find((p) => p.isRunning)
    if (victim !== undefined) stopped.add(victim.pid)
    await victim?.kill('SIGKILL')
    await d.deployment.addEdge()
  },
  'SIGTERM an edge, start another': async (d) => {
    const victim = d.deployment.edges.find((p) => p.isRunning)
    if (victim !== undefined) stopped.add(victim.pid)
    await victim?.stop(30_000)
    await d.deployment.addEdge()
  },
  'PostgreSQL unreachable 10 s': async (d) => {
    d.databaseProxy?.cut()
    await sleep(10_000)
    await d.databaseProxy?.restore()
  },
  'Redis unreachable 10 s': async (d) => {
    d.redisProxy?.cut()
    await sleep(10_000)
    await d.redisProxy?.restore()
  },
  'RabbitMQ stop_app 10 s': async () => {
    await run('rabbitmqctl', ['stop_app'])
    try {
      await sleep(10_000)
    } finally {
      await run('rabbitmqctl', ['start_app'])
      await run('rabbitmqctl', ['await_startup']).catch(() => {})
    }
  },
}

/**
 * #14: a soak. Ten minutes of S1-shaped load (rooms of 10, one sender per room at 12.5 msg/s) with a
 * random fault from this list each minute; memory, file handles, channels and bindings flat; all
 * counts 0. Not in `npm test` (it takes ten minutes).
 */
export const soak: ChaosCase = {
  name: 'soak',
  number: 14,
  title: 'soak: 10 minutes of S1-shaped load with a random fault each minute; resources flat, all counts 0',
  inSubset: false,
  disruptive: true,
  timeoutMs: 20 * 60_000,
  async run (ctx) {
    const minutes = Number(process.env.SOAK_MINUTES ?? 10)
    const rooms = Number(process.env.SOAK_ROOMS ?? 20)
    const d = await ctx.deploy({ edges: 2, dispatchers: 2, proxyDatabase: true, proxyRedis: true, env: { PRESENCE_TTL_MS: '10000' }, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' } })
    const { deployment, api, databaseUrl } = d
    // S1's shape: rooms of 10 members with one sender each at 12.5 msg/s. Ten clients each in every room:
    // the fan-out is 10 per message; one message per room every 80 ms.
    const traffic = new Traffic(api, () => deployment.edges, { clients: 10, rooms, ratePerClient: (12.5 * rooms) / 10, prefix: 'soak' })
    await traffic.start()
    traffic.run()
    const samples: Sample[] = []
    const sample = async (minute: number, fault: string): Promise<void> => {
      const procs = deployment.all().filter((p) => p.isRunning)
      const rssMb: Record<string, number> = {}
      const fds: Record<string, number> = {}
      for (const p of procs) {
        rssMb[`${p.name}:${p.pid}`] = Math.round(await rssBytes(p.pid) / 1024 / 1024)
        fds[`${p.name}:${p.pid}`] = await openFiles(p.pid)
      }
      const broker = await brokerCounts(deployment.env.RABBITMQ_URL ?? '').catch(() => ({ channels: -1, bindings: -1, queues: -1, connections: -1 }))
      samples.push({ minute, rssMb, fds, channels: broker.channels, bindings: broker.bindings, queues: broker.queues, fault })
      ctx.log(`minute ${minute}: ${fault}; rss ${JSON.stringify(rssMb)} fds ${JSON.stringify(fds)} channels ${broker.channels} bindings ${broker.bindings}`)
    }
    await sleep(30_000)
    await sample(0, 'none (after warm-up)')
    // SOAK_FAULTS (names of FAULTS, comma-separated) narrows the draw, to reproduce one fault's failure.
    const names = process.env.SOAK_FAULTS === undefined ? Object.keys(FAULTS) : process.env.SOAK_FAULTS.split(',').map((n) => n.trim())
    const unknownFaults = names.filter((n) => FAULTS[n] === undefined)
    if (unknownFaults.length > 0) throw new Error(`unknown SOAK_FAULTS: ${unknownFaults.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`)
    for (let m = 1; m <= minutes; m++) {
      const name = names[Math.floor(Math.random() * names.length)] as string
      const started = Date.now()
      await (FAULTS[name] as Fault)(d, (s) => ctx.log(s))
      await sleep(Math.max(0, 60_000 - (Date.now() - started) - 5_000))
      await sample(m, name)
    }
    const report = await traffic.settle(databaseUrl, 180_000)
    await traffic.stop()
    // Processes the faults did not stop themselves (a kill or SIGTERM marks its victim as expected).
    const died = deployment.all().filter((p) => !p.isRunning && !stopped.has(p.pid))
    for (const p of died) ctx.log(`${p.name} ${p.pid} exited (${String(p.exitCode)}) on its own; its last output:\n${p.output.join('').slice(-4_000)}`)
    // Flat: compare the history service and the first dispatcher/edge still alive across samples, and the broker.
    const first = samples[1] ?? samples[0]
    const last = samples[samples.length - 1]
    const history = (s: Sample | undefined): number => Object.entries(s?.rssMb ?? {}).find(([k]) => k.startsWith('history'))?.[1] ?? 0
    const historyFds = (s: Sample | undefined): number => Object.entries(s?.fds ?? {}).find(([k]) => k.startsWith('history'))?.[1] ?? 0
    const channelsFlat = first !== undefined && last !== undefined && Math.abs(last.channels - first.channels) <= 4
    // An edge binds its queue to the rooms its own sessions are in, so the count follows how the clients are spread
    // over the edges (an edge started after a kill holds none until clients move to it). At warm-up every edge had
    // sessions in every room: that is the most the bindings can be without a leak (a dead edge's bindings left
    // behind, or a room kept bound after its last session left).
    const warm = samples[0]
    const bindingsBounded = warm !== undefined && warm.bindings > 0 && samples.every((s) => s.bindings > 0 && s.bindings <= warm.bindings)
    return {
      counts: countsOf(report),
      figures: {
        minutes,
        sent: report.sent,
        receipted: report.receipted,
        faults: samples.slice(1).map((s) => s.fault).join('; '),
        'history RSS first→last (MiB)': `${history(first)}→${history(last)}`,
        'history fds first→last': `${historyFds(first)}→${historyFds(last)}`,
        'broker channels first→last': `${first?.channels ?? -1}→${last?.channels ?? -1}`,
        'broker bindings first→last': `${first?.bindings ?? -1}→${last?.bindings ?? -1}`,
        samples: JSON.stringify(samples),
      },
      checks: [
        check('every SEND answered', report.unanswered === 0, `${report.unanswered} unanswered`),
        check('history memory flat (< 50% growth)', history(last) <= history(first) * 1.5 + 10),
        check('history file handles flat (±20)', Math.abs(historyFds(last) - historyFds(first)) <= 20),
        check('broker channels flat', channelsFlat),
        check('broker bindings never above the warm-up count', bindingsBounded, samples.map((s) => s.bindings).join(' → ')),
        check('no process exited other than the faults\' victims', died.length === 0, died.map((p) => `${p.name} ${p.pid} exited ${String(p.exitCode)}`).join(', ') || 'none'),
      ],
    }
  },
}
