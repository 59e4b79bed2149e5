import { setTimeout as sleep } from 'node:timers/promises'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { Traffic } from '../traffic.js'

/** #2: kill -9 an edge mid-SEND; clients reconnect to another edge, resend unconfirmed SENDs, resume by since-seq. */
export const edgeKill: ChaosCase = {
  name: 'edge-kill',
  number: 2,
  title: 'kill -9 an edge mid-SEND; clients reconnect elsewhere, resend with the same clientMsgId, resume by since-seq',
  inSubset: true,
  timeoutMs: 180_000,
  async run (ctx) {
    const { deployment, api, databaseUrl } = await ctx.deploy({ edges: 2, dispatchers: 1, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' } })
    const traffic = new Traffic(api, () => deployment.edges, { clients: 10, rooms: 3, ratePerClient: 50, prefix: 'ek' })
    await traffic.start()
    traffic.run()
    await sleep(ctx.isSubset ? 1_500 : 5_000)
    const victim = deployment.edges[0]
    const onVictim = traffic.clients.filter((c) => c.isOpen && c.client?.ws.url.includes(`:${victim?.port ?? 0}/`)).length
    await victim?.kill('SIGKILL')
    const killedAt = Date.now()
    ctx.log(`killed edge 1 holding ${onVictim} sessions`)
    await sleep(ctx.isSubset ? 3_000 : 10_000)
    const report = await traffic.settle(databaseUrl, 60_000)
    await traffic.stop()
    return {
      counts: countsOf(report),
      figures: { sent: report.sent, receipted: report.receipted, 'sessions on the killed edge': onVictim, reconnects: traffic.reconnects, 'settled after kill (ms)': Date.now() - killedAt },
      checks: [
        check('sessions were on the killed edge', onVictim > 0),
        check('clients reconnected', traffic.reconnects >= onVictim, `${traffic.reconnects} reconnects`),
        check('every SEND answered', report.unanswered === 0, `${report.unanswered} unanswered`),
      ],
    }
  },
}
