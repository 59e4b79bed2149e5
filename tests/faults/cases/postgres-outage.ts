import { setTimeout as sleep } from 'node:timers/promises'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { Traffic } from '../traffic.js'
import { deadLetterCount } from './broker.js'

/**
 * #4: PostgreSQL unreachable for 30 s through a TCP proxy the case cuts and restores (the shared server
 * is untouched): nothing acked before commit, nothing in the DLQ, catch-up time reported.
 */
export const postgresOutage: ChaosCase = {
  name: 'postgres-outage',
  number: 4,
  title: 'PostgreSQL unreachable for 30 s: nothing acked before commit, nothing in the DLQ, catch-up time',
  inSubset: true,
  timeoutMs: 240_000,
  async run (ctx) {
    const { deployment, api, databaseUrl, databaseProxy } = await ctx.deploy({ edges: 1, dispatchers: 2, proxyDatabase: true, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' } })
    if (databaseProxy === undefined) throw new Error('no proxy')
    const traffic = new Traffic(api, () => deployment.edges, { clients: 6, rooms: 3, ratePerClient: 50, prefix: 'po' })
    await traffic.start()
    traffic.run()
    await sleep(2_000)
    const outageMs = ctx.isSubset ? 6_000 : 30_000
    databaseProxy.cut()
    ctx.log(`database cut for ${outageMs} ms`)
    await sleep(outageMs)
    await databaseProxy.restore()
    const restoredAt = Date.now()
    ctx.log('database restored')
    const report = await traffic.settle(databaseUrl, 120_000)
    const catchUpMs = Date.now() - restoredAt
    await traffic.stop()
    const dlq = await deadLetterCount(deployment.env.RABBITMQ_URL ?? '')
    const died = deployment.all().filter((p) => !p.isRunning)
    for (const p of died) ctx.log(`${p.name} ${p.pid} exited (${String(p.exitCode)}); its last output:\n${p.output.join('').slice(-4_000)}`)
    return {
      counts: countsOf(report),
      figures: { sent: report.sent, receipted: report.receipted, 'outage (ms)': outageMs, 'catch-up after restore (ms)': catchUpMs, 'dead letters': dlq },
      checks: [
        check('every SEND answered', report.unanswered === 0, `${report.unanswered} unanswered`),
        check('nothing dead-lettered', dlq === 0, `${dlq} in chat.dlq`),
        check('every process rode out the outage', died.length === 0, died.map((p) => `${p.name} exited ${String(p.exitCode)}`).join(', ') || 'all running'),
      ],
    }
  },
}
