import { setTimeout as sleep } from 'node:timers/promises'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { Traffic } from '../traffic.js'

/** #1: kill -9 a dispatcher with thousands of messages in flight; then the other one; restart both. */
export const dispatcherKill: ChaosCase = {
  name: 'dispatcher-kill',
  number: 1,
  title: 'kill -9 a dispatcher with thousands of messages in flight, then the other; restart both',
  inSubset: true,
  timeoutMs: 240_000,
  async run (ctx) {
    const { deployment, api, databaseUrl } = await ctx.deploy({ edges: 2, dispatchers: 2, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' } })
    const traffic = new Traffic(api, () => deployment.edges, { clients: 8, rooms: 4, ratePerClient: ctx.isSubset ? 100 : 200, prefix: 'dk' })
    await traffic.start()
    traffic.run()
    const phase = ctx.isSubset ? 2_000 : 5_000
    await sleep(phase)
    const inFlightAtFirstKill = traffic.ledger.check([]).unanswered
    await deployment.dispatchers[0]?.kill('SIGKILL')
    ctx.log('killed dispatcher 1')
    await sleep(phase)
    await deployment.dispatchers[1]?.kill('SIGKILL')
    ctx.log('killed dispatcher 2: nothing consumes now')
    await sleep(phase)
    const restartedAt = Date.now()
    await deployment.addDispatcher()
    await deployment.addDispatcher()
    ctx.log('restarted both')
    const report = await traffic.settle(databaseUrl, 90_000)
    const catchUpMs = Date.now() - restartedAt
    await traffic.stop()
    return {
      counts: countsOf(report),
      figures: { sent: report.sent, receipted: report.receipted, 'unanswered SENDs at the first kill': inFlightAtFirstKill, 'catch-up after restart (ms)': catchUpMs },
      checks: [
        check('every SEND answered', report.unanswered === 0, `${report.unanswered} unanswered`),
        check('thousands of messages sent', report.sent >= (ctx.isSubset ? 2_000 : 10_000), `${report.sent} sent`),
      ],
    }
  },
}
