import { setTimeout as sleep } from 'node:timers/promises'
import { waitFor } from '@chat/testing'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { IdleSessions } from '../idle-sessions.js'
import { Traffic } from '../traffic.js'

/** #7: SIGTERM to an edge holding 2,000 sessions: drain, no confirmed SEND lost, reconnects spread over the window. */
export const sigtermDrain: ChaosCase = {
  name: 'sigterm-drain',
  number: 7,
  title: 'SIGTERM to an edge holding 2,000 sessions: drained, no confirmed SEND lost, reconnects spread over the window',
  inSubset: true,
  timeoutMs: 300_000,
  async run (ctx) {
    const sessions = ctx.isSubset ? 300 : 2_000
    const windowMs = ctx.isSubset ? 3_000 : 10_000
    const { deployment, api, databaseUrl } = await ctx.deploy({ edges: 2, dispatchers: 1, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000', EDGE_DRAIN_WINDOW_MS: String(windowMs) } })
    const traffic = new Traffic(api, () => deployment.edges, { clients: 4, rooms: 2, ratePerClient: 50, prefix: 'sd' })
    await traffic.start()
    const room = traffic.rooms[0] as string
    const victim = deployment.edges[0]
    const survivor = deployment.edges[1]
    if (victim === undefined || survivor === undefined) throw new Error('two edges needed')
    const idle = new IdleSessions(() => deployment.edges, room)
    await idle.open(traffic.users, sessions, victim)
    ctx.log(`${idle.openCount} idle sessions on the victim`)
    traffic.run()
    await sleep(1_500)
    const termAt = Date.now()
    victim.child.kill('SIGTERM')
    const exitCode = await victim.exited
    const drainMs = Date.now() - termAt
    if (exitCode !== 0) ctx.log(`the edge's last output:\n${victim.output.join('').slice(-400_000)}`)
    await waitFor(() => idle.records.every((r) => r.reconnectedAt !== undefined), { timeoutMs: windowMs + 30_000, what: 'every session back' }).catch(() => {})
    const report = await traffic.settle(databaseUrl, 60_000)
    traffic.stop().catch(() => {})
    idle.stop()
    const told = idle.records.filter((r) => r.shutdownAt !== undefined)
    const back = idle.records.filter((r) => r.reconnectedAt !== undefined)
    const delays = told.map((r) => r.reconnectAfterMs ?? 0)
    const buckets = new Map<number, number>()
    for (const r of back) {
      const s = Math.floor(((r.reconnectedAt ?? 0) - termAt) / 1000)
      buckets.set(s, (buckets.get(s) ?? 0) + 1)
    }
    const distribution = [...buckets].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}s:${n}`).join(' ')
    const spreadOk = delays.length > 0 && Math.max(...delays) - Math.min(...delays) > windowMs / 2
    return {
      counts: countsOf(report),
      figures: {
        sessions,
        'told server-shutdown': told.length,
        reconnected: back.length,
        'drain took (ms)': drainMs,
        'reconnect-after-ms min/max': `${Math.min(...delays)}/${Math.max(...delays)}`,
        'reconnects per second after SIGTERM': distribution,
        sent: report.sent,
      },
      checks: [
        check('the edge exited cleanly', exitCode === 0, `exit ${String(exitCode)}`),
        check('every session was told server-shutdown', told.length === sessions, `${told.length} of ${sessions}`),
        check('reconnect-after-ms spread over the window', spreadOk, `window ${windowMs} ms`),
        check('every session reconnected', back.length === sessions, `${back.length} of ${sessions}`),
        check('every SEND answered', report.unanswered === 0, `${report.unanswered} unanswered`),
      ],
    }
  },
}
