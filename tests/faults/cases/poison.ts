import { setTimeout as sleep } from 'node:timers/promises'
import amqp from 'amqplib'
import { newId } from '@chat/schemas'
import { ExchangeName, shardOf, shardRoutingKey } from '@chat/topology'
import { waitFor } from '@chat/testing'
import { check, countsOf, type ChaosCase } from '../chaos-case.js'
import { Traffic } from '../traffic.js'
import { deadLetterCount } from './broker.js'

async function metric (url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
}

/** #6: a poison message among normal traffic: to the DLQ after the limit, with no hot loop. */
export const poison: ChaosCase = {
  name: 'poison',
  number: 6,
  title: 'poison messages among normal traffic: dead-lettered after the attempt limit, no hot loop',
  inSubset: true,
  timeoutMs: 120_000,
  async run (ctx) {
    const maxAttempts = 5
    const shards = 8
    const { deployment, api, databaseUrl } = await ctx.deploy({
      edges: 1,
      dispatchers: 1,
      env: { DISPATCH_RETRY_DELAYS_MS: '300,600,1000', DISPATCH_MAX_ATTEMPTS: String(maxAttempts), RABBITMQ_SHARDS: String(shards) },
      edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000' },
    })
    const traffic = new Traffic(api, () => deployment.edges, { clients: 4, rooms: 4, ratePerClient: 40, prefix: 'pz' })
    await traffic.start()
    traffic.run()
    const amqpUrl = deployment.env.RABBITMQ_URL ?? ''
    const conn = await amqp.connect(amqpUrl)
    const ch = await conn.createConfirmChannel()
    const poisons = ctx.isSubset ? 6 : 20
    for (let i = 0; i < poisons; i++) {
      const room = traffic.rooms[i % traffic.rooms.length] ?? newId()
      // Alternately undecodable bytes and a well-formed message for a room that does not exist.
      const body = i % 2 === 0 ? Buffer.from(`{"broken": ${i}`) : Buffer.from(JSON.stringify({ v: 1, id: newId(), roomId: newId(), senderId: newId(), senderName: 'x', type: 'TALK', content: 'gone', clientMsgId: `p${i}`, sentAt: new Date().toISOString() }))
      ch.publish(ExchangeName.INBOUND, shardRoutingKey(shardOf(room, shards)), body, { persistent: true, headers: { 'x-retry-count': 0 } })
      await sleep(50)
    }
    await ch.waitForConfirms()
    await conn.close()
    const started = Date.now()
    await waitFor(async () => (await deadLetterCount(amqpUrl)) >= poisons, { timeoutMs: 30_000, intervalMs: 500, what: 'poison dead-lettered' }).catch(() => {})
    const dlqMs = Date.now() - started
    await sleep(2_000)
    const dlq = await deadLetterCount(amqpUrl)
    const dispatcherUrl = deployment.dispatchers[0]?.url ?? ''
    const invalid = await metric(dispatcherUrl, 'chat_dispatcher_invalid_total')
    const retries = await metric(dispatcherUrl, 'chat_dispatcher_outcomes_total{outcome="retry"}')
    const report = await traffic.settle(databaseUrl, 60_000)
    await traffic.stop()
    const undecodable = Math.ceil(poisons / 2)
    return {
      counts: countsOf(report),
      figures: { poison: poisons, 'dead letters': dlq, 'handler attempts on undecodable ones': invalid, 'retry outcomes': retries, 'time to dead-letter all (ms)': dlqMs, sent: report.sent },
      checks: [
        check('every poison message reached chat.dlq', dlq === poisons, `${dlq} of ${poisons}`),
        check('undecodable ones were tried exactly the attempt limit (no hot loop)', invalid === undecodable * maxAttempts, `${invalid} attempts for ${undecodable} messages × ${maxAttempts}`),
        check('normal traffic flowed meanwhile', report.receipted > 0 && report.unanswered === 0, `${report.receipted} receipted`),
      ],
    }
  },
}
