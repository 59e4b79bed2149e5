import { setTimeout as sleep } from 'node:timers/promises'
import { RawStompClient, waitFor } from '@chat/testing'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { Traffic } from '../traffic.js'

/** #5: Redis unreachable for 30 s (through a proxy): messaging goes on, presence recovers after. */
export const redisOutage: ChaosCase = {
  name: 'redis-outage',
  number: 5,
  title: 'Redis unreachable for 30 s: messaging goes on, presence recovers after',
  inSubset: true,
  timeoutMs: 180_000,
  async run (ctx) {
    const ttlMs = 3_000
    const { deployment, api, databaseUrl, redisProxy } = await ctx.deploy({ edges: 1, dispatchers: 1, proxyRedis: true, env: { PRESENCE_TTL_MS: String(ttlMs) }, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' } })
    if (redisProxy === undefined) throw new Error('no proxy')
    const traffic = new Traffic(api, () => deployment.edges, { clients: 6, rooms: 2, ratePerClient: 40, prefix: 'ro' })
    await traffic.start()
    traffic.run()
    const owner = traffic.users[0]
    const room = traffic.rooms[0]
    if (owner === undefined || room === undefined) throw new Error('no traffic')
    const onlineCount = async (): Promise<number> => {
      const r = await api.request<{ online?: unknown[] }>('GET', `/api/rooms/${room}/presence`, undefined, owner.accessToken)
      return r.status === 200 ? (r.body.online?.length ?? 0) : -r.status
    }
    await waitFor(async () => (await onlineCount()) === traffic.users.length, { timeoutMs: 10_000, what: 'everyone online' })
    const outageMs = ctx.isSubset ? 6_000 : 30_000
    const receiptedBefore = traffic.ledger.check([]).receipted
    redisProxy.cut()
    ctx.log(`redis cut for ${outageMs} ms`)
    await sleep(outageMs / 2)
    // A new session opens while Redis is away: token versions come from PostgreSQL.
    const late = await RawStompClient.connect(deployment.edges[0]?.wsUrl ?? '', owner.accessToken).then((c) => { c.close(); return true }, () => false)
    const presenceDuring = await onlineCount()
    await sleep(outageMs / 2)
    const receiptedDuring = traffic.ledger.check([]).receipted - receiptedBefore
    await redisProxy.restore()
    const restoredAt = Date.now()
    ctx.log('redis restored')
    await waitFor(async () => (await onlineCount()) === traffic.users.length, { timeoutMs: 30_000, what: 'presence back' }).catch(() => {})
    const presenceBackMs = Date.now() - restoredAt
    const presenceAfter = await onlineCount()
    const report = await traffic.settle(databaseUrl, 60_000)
    await traffic.stop()
    return {
      counts: countsOf(report),
      figures: { sent: report.sent, receipted: report.receipted, 'receipts while Redis was away': receiptedDuring, 'presence lookup while away (users or -status)': presenceDuring, 'presence recovered after (ms)': presenceBackMs },
      checks: [
        check('messaging went on while Redis was away', receiptedDuring > 0, `${receiptedDuring} receipts`),
        check('a new session could connect while Redis was away', late),
        check('presence recovered after', presenceAfter === traffic.users.length, `${presenceAfter} of ${traffic.users.length} online`),
        check('every SEND answered', report.unanswered === 0, `${report.unanswered} unanswered`),
      ],
    }
  },
}
