import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { rssBytes } from '../context.js'
import { Traffic } from '../traffic.js'

const run = promisify(execFile)

/**
 * #3: RabbitMQ restarted while clients send (`rabbitmqctl stop_app` / `start_app`): RECEIPT or error for
 * every SEND with a receipt within 10 s; memory of the edges bounded while it is away. Disruptive: the
 * broker is shared, so this runs in CI (after every other test) and in `npm run test:chaos` only.
 */
export const rabbitmqRestart: ChaosCase = {
  name: 'rabbitmq-restart',
  number: 3,
  title: 'RabbitMQ restarted while clients send: every SEND answered within 10 s, edge memory bounded',
  inSubset: true,
  disruptive: true,
  timeoutMs: 240_000,
  async run (ctx) {
    const { deployment, api, databaseUrl } = await ctx.deploy({ edges: 2, dispatchers: 1, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000', PUBLISH_TIMEOUT_MS: '5000' } })
    const traffic = new Traffic(api, () => deployment.edges, { clients: 8, rooms: 4, ratePerClient: 50, prefix: 'rr' })
    await traffic.start()
    traffic.run()
    await sleep(2_000)
    const rssBefore = await Promise.all(deployment.edges.map(async (e) => await rssBytes(e.pid)))
    const awayMs = ctx.isSubset ? 8_000 : 20_000
    ctx.log('rabbitmqctl stop_app')
    const stoppedAt = Date.now()
    let rssPeak = [...rssBefore]
    try {
      await run('rabbitmqctl', ['stop_app'])
      const sampler = setInterval(() => {
        void Promise.all(deployment.edges.map(async (e) => await rssBytes(e.pid))).then((now) => { rssPeak = rssPeak.map((p, i) => Math.max(p, now[i] ?? 0)) })
      }, 250)
      await sleep(awayMs)
      clearInterval(sampler)
    } finally {
      ctx.log('rabbitmqctl start_app')
      await run('rabbitmqctl', ['start_app'])
      await run('rabbitmqctl', ['await_startup']).catch(() => {})
    }
    const startedAt = Date.now()
    await sleep(3_000)
    const report = await traffic.settle(databaseUrl, 120_000)
    const recoveredMs = Date.now() - startedAt
    await traffic.stop()
    const times = traffic.ledger.answerTimes()
    const slowest = times.ms.length === 0 ? 0 : Math.max(...times.ms)
    const late = times.ms.filter((ms) => ms > 10_000).length
    const growthMb = Math.max(...rssPeak.map((p, i) => (p - (rssBefore[i] ?? 0)) / 1024 / 1024))
    return {
      counts: countsOf(report),
      figures: {
        sent: report.sent,
        receipted: report.receipted,
        'broker away (ms)': Date.now() - stoppedAt - recoveredMs,
        'slowest first answer (ms)': slowest,
        'SENDs answered after 10 s': late,
        'edge RSS growth while away (MiB)': growthMb.toFixed(1),
        'settled after start_app (ms)': recoveredMs,
      },
      checks: [
        check('every SEND with a receipt got a RECEIPT or an error', times.unanswered === 0, `${times.unanswered} never answered`),
        check('each within 10 s', late === 0, `slowest ${slowest} ms`),
        check('edge memory bounded while the broker is away (< 100 MiB growth)', growthMb < 100, `${growthMb.toFixed(1)} MiB`),
      ],
    }
  },
}
