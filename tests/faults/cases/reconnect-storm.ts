import { setTimeout as sleep } from 'node:timers/promises'
import { check, type ChaosCase } from '../chaos-case.js'
import { IdleSessions } from '../idle-sessions.js'

async function sockets (url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`).catch(() => undefined))?.text() ?? ''
  const line = text.split('\n').find((l) => l.startsWith('chat_edge_sockets '))
  return line === undefined ? -1 : Number(line.split(' ')[1])
}

/**
 * #8: a reconnect storm. Two capped edges, one restarted: with the per-instance cap and jittered
 * `reconnect-after-ms`, no edge goes over its cap and both hold sessions within 60 s.
 */
export const reconnectStorm: ChaosCase = {
  name: 'reconnect-storm',
  number: 8,
  title: 'reconnect storm: two capped edges, one restarted; no edge over its cap, both hold sessions within 60 s',
  inSubset: true,
  timeoutMs: 300_000,
  async run (ctx) {
    const cap = ctx.isSubset ? 250 : 1_500
    const sessions = ctx.isSubset ? 400 : 2_400
    const windowMs = ctx.isSubset ? 3_000 : 10_000
    const { deployment, api } = await ctx.deploy({ edges: 2, dispatchers: 1, edgeEnv: { EDGE_MAX_CONNECTIONS: String(cap), EDGE_DRAIN_WINDOW_MS: String(windowMs) } })
    const users = await Promise.all(Array.from({ length: 10 }, async (_, i) => await api.user(`storm${i}`)))
    const owner = users[0]
    if (owner === undefined) throw new Error('no users')
    const room = await api.createRoom(owner)
    for (const u of users.slice(1)) await api.join(u, room)
    const idle = new IdleSessions(() => deployment.edges, room)
    await idle.open(users, sessions)
    const before = [...idle.openByEdge().values()]
    ctx.log(`sessions per edge before: ${before.join(', ')}`)
    let maxSeen = 0
    const timeline: string[] = []
    const started = Date.now()
    const sampler = setInterval(() => {
      void Promise.all(deployment.edges.filter((e) => e.isRunning).map(async (e) => await sockets(e.url))).then((counts) => {
        maxSeen = Math.max(maxSeen, ...counts)
      })
    }, 200)
    const victim = deployment.edges[0]
    if (victim === undefined) throw new Error('no edge')
    victim.child.kill('SIGTERM')
    await victim.exited
    await deployment.addEdge()
    ctx.log('edge restarted')
    let bothHold = -1
    for (let s = 1; s <= 60; s++) {
      await sleep(1_000)
      const per = idle.openByEdge()
      const live = deployment.edges.filter((e) => e.isRunning).map((e) => per.get(e.port) ?? 0)
      timeline.push(`${s}s:${live.join('/')}`)
      if (bothHold < 0 && live.length === 2 && live.every((n) => n > 0) && idle.openCount === sessions) bothHold = s
      if (bothHold > 0 && s >= bothHold + 2) break
    }
    clearInterval(sampler)
    const refusals = idle.records.reduce((sum, r) => sum + r.refusals, 0)
    idle.stop()
    return {
      figures: {
        sessions,
        'cap per edge': cap,
        'most sockets seen on one edge': maxSeen,
        '503 refusals during the storm': refusals,
        'both edges holding every session after (s)': bothHold,
        'sessions per live edge over time': timeline.join(' '),
        'elapsed (ms)': Date.now() - started,
      },
      checks: [
        check('no edge went over its cap', maxSeen <= cap, `max ${maxSeen}, cap ${cap}`),
        check('both edges hold sessions and every session is back within 60 s', bothHold > 0 && bothHold <= 60, `${bothHold} s`),
      ],
    }
  },
}
