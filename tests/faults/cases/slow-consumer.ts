import { setTimeout as sleep } from 'node:timers/promises'
import hdr from 'hdr-histogram-js'
import { RawStompClient, waitFor, type TestUser } from '@chat/testing'
import { bodyText } from '@chat/protocol'
import { check, type ChaosCase } from '../chaos-case.js'
import { rssBytes } from '../context.js'

/** #9: a slow consumer in a busy room: closed at the buffer limit; the others' p99 unaffected; edge memory bounded. */
export const slowConsumer: ChaosCase = {
  name: 'slow-consumer',
  number: 9,
  title: 'slow consumer in a busy room: closed at the buffer limit, the others\' p99 unaffected, edge memory bounded',
  inSubset: true,
  timeoutMs: 180_000,
  async run (ctx) {
    const slowMs = ctx.isSubset ? 3_000 : 10_000
    const { deployment, api } = await ctx.deploy({ edges: 1, dispatchers: 1, edgeEnv: { SEND_RATE: '1000', SEND_BURST: '1000', EDGE_SLOW_CONSUMER_MS: String(slowMs) } })
    const edge = deployment.edges[0]
    if (edge === undefined) throw new Error('no edge')
    const members: TestUser[] = await Promise.all(Array.from({ length: 12 }, async (_, i) => await api.user(`slow${i}`)))
    const owner = members[0] as TestUser
    const room = await api.createRoom(owner)
    for (const m of members.slice(1)) await api.join(m, room)
    const topic = `/topic/rooms.${room}`
    let phase: 'warm' | 'quiet' | 'slow' | 'done' = 'warm'
    const histograms = { quiet: hdr.build(), slow: hdr.build() }
    const readers = await Promise.all(members.slice(2).map(async (m) => {
      const c = await RawStompClient.connect(edge.wsUrl, m.accessToken)
      c.maxFrames = 10
      c.onFrame = (f) => {
        if (f.command !== 'MESSAGE' || phase === 'warm' || phase === 'done') return
        const content = (JSON.parse(bodyText(f)) as { content: string }).content
        histograms[phase].recordValue(Math.max(1, Date.now() - Number(content.slice(0, content.indexOf(' ')))))
      }
      c.send({ command: 'SUBSCRIBE', headers: { id: 'r', destination: topic, receipt: 's' } })
      await c.next((f) => f.headers['receipt-id'] === 's')
      return c
    }))
    const senders = await Promise.all(members.slice(0, 2).map(async (m) => await RawStompClient.connect(edge.wsUrl, m.accessToken)))
    const padding = 'x'.repeat(2_000)
    let n = 0
    const timer = setInterval(() => {
      for (const s of senders) s.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}` }, body: JSON.stringify({ content: `${Date.now()} ${n++} ${padding}` }) })
    }, 10)
    await sleep(2_000)
    phase = 'quiet'
    await sleep(5_000)
    const rssQuiet = await rssBytes(edge.pid)
    // The slow member subscribes and stops reading.
    const slowUser = members[1] as TestUser
    const slow = await RawStompClient.connect(edge.wsUrl, slowUser.accessToken)
    slow.send({ command: 'SUBSCRIBE', headers: { id: 'r', destination: topic, receipt: 's' } })
    await slow.next((f) => f.headers['receipt-id'] === 's')
    ;(slow.ws as unknown as { _socket: { pause: () => void } })._socket.pause()
    phase = 'slow'
    const slowStarted = Date.now()
    let rssPeak = rssQuiet
    const sampler = setInterval(() => { void rssBytes(edge.pid).then((r) => { rssPeak = Math.max(rssPeak, r) }) }, 250)
    const closedBySlowClose = await waitFor(async () => /chat_edge_slow_consumer_closes_total [1-9]/.test(await (await fetch(`${edge.url}/metrics`)).text()), { timeoutMs: slowMs + 30_000, intervalMs: 250, what: 'slow close' }).then(() => true, () => false)
    const closedAfterMs = Date.now() - slowStarted
    await sleep(2_000)
    phase = 'done'
    clearInterval(timer)
    clearInterval(sampler)
    for (const c of [...readers, ...senders, slow]) c.close()
    const quietP99 = histograms.quiet.getValueAtPercentile(99)
    const slowP99 = histograms.slow.getValueAtPercentile(99)
    const bound = Math.max(2 * quietP99, quietP99 + 10)
    const growthMb = (rssPeak - rssQuiet) / 1024 / 1024
    return {
      figures: {
        'room traffic (msg/s × members)': `${2 * 100} × ${members.length - 2}`,
        'p99 quiet (ms)': quietP99,
        'p99 with the slow consumer (ms)': slowP99,
        'slow consumer closed after (ms)': closedAfterMs,
        'edge RSS growth (MiB)': growthMb.toFixed(1),
      },
      checks: [
        check('the slow consumer was closed', closedBySlowClose, `after ${closedAfterMs} ms (limit: 1 MiB for ${slowMs} ms)`),
        check('the others\' p99 stayed within 2x of quiet (or +10 ms)', slowP99 <= bound, `${slowP99} ms vs quiet ${quietP99} ms`),
        check('edge memory bounded (< 64 MiB growth)', growthMb < 64, `${growthMb.toFixed(1)} MiB`),
        check('the edge is still up', edge.isRunning),
      ],
    }
  },
}
