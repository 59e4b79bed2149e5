import { fork } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { bodyText, type Frame } from '@chat/protocol'
import { RawStompClient, waitFor, type ChatApi, type TestUser } from '@chat/testing'
import { check, type Check, type ChaosCase } from '../chaos-case.js'
import { openFiles, rssBytes } from '../context.js'
import { FRAME_ATTACKS, type FrameAttackResult, type FrameTarget } from './attack-frames.js'
import type { IdleSocketsProgress, IdleSocketsRequest, IdleSocketsSummary } from './attack-idle-sockets.js'
import type { ProbeMessage, ProbeReport, ProbeRequest } from './attack-probe-child.js'
import { ms, p99Bound, quantile } from './attack-stomp.js'

const MiB = 1024 * 1024

/** Absolute time in ms (the same clock in the probe's process). */
function now (): number {
  return performance.timeOrigin + performance.now()
}

interface Phase {
  readonly name: string
  /** Absolute ms (`now()`). */
  readonly from: number
  readonly to: number
  /** CPU the edge used during the phase, ms. */
  readonly edgeCpuMs: number
  /** p99 of this (the attacking) process's event-loop delay, ms (the probe runs in its own process). */
  readonly ownLoopP99Ms: number
  /** The edge's and the dispatcher's event-loop delay over the phase (p99 / max, ms), from their /metrics. */
  readonly edgeLoop: string
  readonly dispatcherLoop: string
  /** The dispatcher's persist transactions over the phase: how many, and their mean time (ms). */
  readonly persists: number
  readonly persistMeanMs: number
  /** The machine's 1-minute load average at the end of the phase (other work on the box disturbs the figures). */
  readonly load: number
}

/** A sample's value in Prometheus text (first match), or NaN. */
function sample (text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)
  return m === null ? Number.NaN : Number(m[1])
}

/** One scrape of a service's /metrics (each scrape resets prom-client's event-loop histogram). */
async function scrape (url: string): Promise<string> {
  return await fetch(`${url}/metrics`).then(async (r) => await r.text(), () => '')
}

async function metric (url: string, name: string): Promise<number> {
  return sample(await scrape(url), name)
}

/** CPU time (user + system) a process has used, ms (from /proc; clock ticks are 10 ms on Linux). */
async function cpuMs (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10
}

async function messageContents (api: ChatApi, user: TestUser, roomId: string): Promise<string[]> {
  const page = await api.ok<{ messages: Array<{ content: string }> }>('GET', `/api/rooms/${roomId}/messages?limit=100`, undefined, user.accessToken)
  return page.messages.map((m) => m.content)
}

/** The receipt or the /user/queue/errors answer to `receipt`. */
async function answerTo (c: RawStompClient, receipt: string, timeoutMs = 5_000): Promise<Frame | undefined> {
  return await c.next((f) => f.headers['receipt-id'] === receipt, timeoutMs).catch(() => undefined)
}

function describe (f: Frame | undefined): string {
  if (f === undefined) return 'no answer'
  return f.command === 'RECEIPT' ? 'RECEIPT' : `${f.command} code ${f.headers.code ?? f.headers.message ?? '-'}`
}

/**
 * Duplicate `destination` headers: STOMP 1.2 keeps the first, and the membership check and the routing must both
 * use it. A member of A, not of B, sends [A, B] (stored in A only) and [B, A] (refused, stored nowhere), and
 * subscribes the same way (receives A's stream, never B's).
 */
async function duplicateDestination (api: ChatApi, wsUrl: string, attacker: TestUser, other: TestUser, roomA: string, roomB: string): Promise<Check[]> {
  const tag = Date.now().toString(36)
  const c = await RawStompClient.connect(wsUrl, attacker.accessToken)
  c.send({ command: 'SUBSCRIBE', headers: { id: 'errors', destination: '/user/queue/errors', receipt: 'e' } })
  await answerTo(c, 'e')
  const send = (first: string, second: string, receipt: string, content: string): void => {
    c.sendRaw(`SEND\ndestination:/app/rooms.${first}\ndestination:/app/rooms.${second}\nreceipt:${receipt}\ncontent-type:application/json\n\n${JSON.stringify({ content, clientMsgId: `${receipt}-${tag}` })}\0`)
  }
  send(roomA, roomB, 'dup-ab', `dup-first-A-${tag}`)
  send(roomB, roomA, 'dup-ba', `dup-first-B-${tag}`)
  const [ab, ba] = [await answerTo(c, 'dup-ab'), await answerTo(c, 'dup-ba')]
  c.sendRaw(`SUBSCRIBE\nid:sub-ab\ndestination:/topic/rooms.${roomA}\ndestination:/topic/rooms.${roomB}\nreceipt:sub-ab\n\n\0`)
  c.sendRaw(`SUBSCRIBE\nid:sub-ba\ndestination:/topic/rooms.${roomB}\ndestination:/topic/rooms.${roomA}\nreceipt:sub-ba\n\n\0`)
  const [subAb, subBa] = [await answerTo(c, 'sub-ab'), await answerTo(c, 'sub-ba')]
  await api.ok('POST', `/api/rooms/${roomB}/messages`, { content: `b-secret-${tag}` }, other.accessToken)
  await api.ok('POST', `/api/rooms/${roomA}/messages`, { content: `a-visible-${tag}` }, attacker.accessToken)
  const seen = (text: string): boolean => c.frames.some((f) => f.command === 'MESSAGE' && bodyText(f).includes(text))
  await waitFor(() => seen(`a-visible-${tag}`), { timeoutMs: 10_000, what: 'the message in A' }).catch(() => {})
  await sleep(500)
  let inA: string[] = []
  await waitFor(async () => {
    inA = await messageContents(api, attacker, roomA)
    return inA.includes(`dup-first-A-${tag}`)
  }, { timeoutMs: 10_000, what: 'dup-first-A stored' }).catch(() => {})
  const inB = await messageContents(api, other, roomB)
  const bFrames = c.frames.filter((f) => f.command === 'MESSAGE' && f.headers.destination === `/topic/rooms.${roomB}`).length
  c.close()
  return [
    check('duplicate destination [member room, other room] on SEND: accepted, stored in the first (the member\'s) room only',
      ab?.command === 'RECEIPT' && inA.includes(`dup-first-A-${tag}`) && !inB.includes(`dup-first-A-${tag}`),
      `${describe(ab)}; in A: ${String(inA.includes(`dup-first-A-${tag}`))}, in B: ${String(inB.includes(`dup-first-A-${tag}`))}`),
    check('duplicate destination [other room, member room] on SEND: refused (forbidden), stored nowhere',
      ba?.command === 'MESSAGE' && ba.headers.code === 'forbidden' && !inA.includes(`dup-first-B-${tag}`) && !inB.includes(`dup-first-B-${tag}`),
      `${describe(ba)}; in A: ${String(inA.includes(`dup-first-B-${tag}`))}, in B: ${String(inB.includes(`dup-first-B-${tag}`))}`),
    check('duplicate destination on SUBSCRIBE: [member room, other] subscribes the member room; [other, member room] refused; nothing of the other room arrives',
      subAb?.command === 'RECEIPT' && subBa?.command === 'MESSAGE' && subBa.headers.code === 'forbidden' && seen(`a-visible-${tag}`) && !seen(`b-secret-${tag}`) && bFrames === 0,
      `[A,B] ${describe(subAb)}, [B,A] ${describe(subBa)}; A's message arrived: ${String(seen(`a-visible-${tag}`))}; B's: ${String(seen(`b-secret-${tag}`))}`),
  ]
}

/**
 * A `selector` header (a JMS/ActiveMQ idea, not STOMP 1.2's) is accepted and never evaluated: a selector that
 * would match nothing and one that would match everything both get exactly the room's normal stream.
 */
async function selector (api: ChatApi, wsUrl: string, attacker: TestUser, other: TestUser, roomA: string, roomB: string): Promise<Check> {
  const tag = `sel-${Date.now().toString(36)}`
  const subscribe = async (id: string, extra: string): Promise<RawStompClient> => {
    const c = await RawStompClient.connect(wsUrl, attacker.accessToken)
    c.sendRaw(`SUBSCRIBE\nid:${id}\ndestination:/topic/rooms.${roomA}\n${extra}receipt:${id}\n\n\0`)
    await answerTo(c, id)
    return c
  }
  const none = await subscribe('sel-none', 'selector:1=0\n')
  const every = await subscribe('sel-every', 'selector:1=1 OR destination LIKE \'/topic/%\'\n')
  const plain = await subscribe('plain', '')
  const receipts = [none, every, plain].map((c) => c.frames.some((f) => f.command === 'RECEIPT'))
  for (let i = 0; i < 3; i++) await api.ok('POST', `/api/rooms/${roomA}/messages`, { content: `${tag}-${i}` }, attacker.accessToken)
  await api.ok('POST', `/api/rooms/${roomB}/messages`, { content: `${tag}-b` }, other.accessToken)
  const ids = (c: RawStompClient): string[] => c.frames.filter((f) => f.command === 'MESSAGE').map((f) => `${f.headers.destination ?? ''} ${f.headers['message-id'] ?? ''}`).sort()
  await waitFor(() => plain.frames.filter((f) => f.command === 'MESSAGE' && bodyText(f).includes(tag)).length >= 3, { timeoutMs: 10_000, what: 'the plain subscriber got the messages' }).catch(() => {})
  await sleep(300)
  const reference = ids(plain)
  const same = (c: RawStompClient): boolean => JSON.stringify(ids(c)) === JSON.stringify(reference)
  const foreign = [none, every].some((c) => c.frames.some((f) => f.command === 'MESSAGE' && f.headers.destination !== `/topic/rooms.${roomA}`))
  for (const c of [none, every, plain]) c.close()
  return check('a selector header is accepted and never evaluated: "1=0" and "1=1 OR …" get exactly the normal stream, nothing else',
    receipts.every(Boolean) && reference.length >= 3 && same(none) && same(every) && !foreign,
    `receipts ${receipts.join('/')}; plain ${reference.length} messages, selector 1=0 ${ids(none).length}, selector 1=1 ${ids(every).length}; other destinations: ${String(foreign)}`)
}

interface FloodResult {
  readonly sent: number
  readonly receipts: number
  readonly rateLimited: number
  readonly otherErrors: number
  readonly stillOpen: boolean
  readonly afterwards: string
  readonly seconds: number
}

/** One client sending 1,000 SEND/s with receipts: throttled with rate-limited on /user/queue/errors, never closed. */
async function flood (wsUrl: string, attacker: TestUser, roomId: string, seconds: number): Promise<FloodResult> {
  const c = await RawStompClient.connect(wsUrl, attacker.accessToken)
  c.maxFrames = 200
  let receipts = 0
  let rateLimited = 0
  let otherErrors = 0
  c.onFrame = (f) => {
    if (f.command === 'RECEIPT' && f.headers['receipt-id']?.startsWith('f-') === true) receipts++
    else if (f.command === 'MESSAGE' && f.headers.code === 'rate-limited') rateLimited++
    else if (f.command === 'MESSAGE' && f.headers.code !== undefined) otherErrors++
  }
  c.send({ command: 'SUBSCRIBE', headers: { id: 'errors', destination: '/user/queue/errors', receipt: 'e' } })
  await answerTo(c, 'e')
  let sent = 0
  const started = performance.now()
  const tag = Date.now().toString(36)
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(seconds * 1000, Math.floor(performance.now() - started)) - sent
      for (let i = 0; i < due && c.closeCode === undefined; i++) {
        c.sendRaw(`SEND\ndestination:/app/rooms.${roomId}\nreceipt:f-${sent}\ncontent-type:application/json\n\n${JSON.stringify({ content: `flood ${sent}`, clientMsgId: `f-${tag}-${sent}` })}\0`)
        sent++
      }
      if (performance.now() - started >= seconds * 1000 || c.closeCode !== undefined) {
        clearInterval(timer)
        resolve()
      }
    }, 10)
  })
  const took = (performance.now() - started) / 1000
  await waitFor(() => receipts + rateLimited + otherErrors >= sent || c.closeCode !== undefined, { timeoutMs: 15_000, what: 'every flood SEND answered' }).catch(() => {})
  // After a second and a half the bucket has refilled: an ordinary SEND goes through again.
  await sleep(1_500)
  c.sendRaw(`SEND\ndestination:/app/rooms.${roomId}\nreceipt:after-flood\ncontent-type:application/json\n\n{"content":"after the flood"}\0`)
  const after = await answerTo(c, 'after-flood')
  const stillOpen = c.closeCode === undefined
  c.close()
  return { sent, receipts, rateLimited, otherErrors, stillOpen, afterwards: describe(after), seconds: took }
}

/** The probe pair, running in its own process: `stop()` ends it and returns every sample. */
interface RunningProbe {
  stop (): Promise<ProbeReport>
  kill (): void
}

async function startProbe (req: ProbeRequest): Promise<RunningProbe> {
  const child = fork(new URL('./attack-probe-child.ts', import.meta.url), ['--attack-probe-child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let onReport: (r: ProbeReport) => void = () => {}
  let onFail: (err: Error) => void = () => {}
  const reported = new Promise<ProbeReport>((resolve, reject) => { onReport = resolve; onFail = reject })
  reported.catch(() => {})
  const kill = (): void => { if (child.exitCode === null) child.kill('SIGKILL') }
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: ProbeMessage) => {
        if (m.type === 'ready') resolve()
        else if (m.type === 'report') onReport(m)
        else { reject(new Error(m.message)); onFail(new Error(m.message)) }
      })
      child.once('exit', (code) => {
        const err = new Error(`the probe exited with ${String(code)}`)
        reject(err)
        onFail(err)
      })
      child.send(req)
    })
  } catch (err) {
    kill()
    throw err
  }
  return {
    async stop () {
      child.send('stop')
      return await reported
    },
    kill,
  }
}

/** Runs the idle-socket generator in a child process (its event loop must not disturb the probe's figures). */
async function idleSockets (req: IdleSocketsRequest, onProgress: (p: IdleSocketsProgress) => void): Promise<IdleSocketsSummary> {
  const child = fork(new URL('./attack-idle-sockets.ts', import.meta.url), ['--attack-idle-sockets-child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    return await new Promise<IdleSocketsSummary>((resolve, reject) => {
      child.on('message', (m: IdleSocketsProgress | IdleSocketsSummary | { type: 'error', message: string }) => {
        if (m.type === 'progress') onProgress(m)
        else if (m.type === 'done') resolve(m)
        else reject(new Error(m.message))
      })
      child.once('exit', (code) => reject(new Error(`the socket generator exited with ${String(code)}`)))
      child.send(req)
    })
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
}

/** #12: malformed and oversized frames, idle sockets and a SEND flood: each refused or throttled, others unaffected. */
export const frames: ChaosCase = {
  name: 'frames',
  number: 12,
  title: 'Frames: 1 MiB before/after CONNECT, 100 MB content-length trickled, 1,000 headers, a 100 KiB header line, duplicate destination, bad escapes, no NUL, wrong content-length, a selector; 10,000 sockets that never CONNECT; 1,000 SEND/s',
  inSubset: true,
  timeoutMs: 300_000,
  async run (ctx) {
    const sub = ctx.isSubset
    const idleCount = sub ? 1_000 : 10_000
    const loginTimeoutMs = sub ? 3_000 : 10_000
    const phaseMs = sub ? 3_000 : 8_000
    const floodSeconds = sub ? 2 : 5
    const gapMs = sub ? 2_000 : 4_000
    const { deployment, api } = await ctx.deploy({
      edges: 1,
      dispatchers: 1,
      edgeEnv: { EDGE_LOGIN_TIMEOUT_MS: String(loginTimeoutMs), EDGE_MAX_CONNECTIONS: String(idleCount + 5_000) },
    })
    const edge = deployment.edges[0]
    if (edge === undefined) throw new Error('no edge')
    const checks: Check[] = []
    const figures: Record<string, number | string> = {}
    const phases: Phase[] = []
    let phaseStart: { at: number, cpu: number, loop: IntervalHistogram | undefined, persistSum: number, persistCount: number } = { at: 0, cpu: 0, loop: undefined, persistSum: 0, persistCount: 0 }
    // prom-client resets its event-loop histogram at every scrape: a scrape at the start of a phase and one at its end
    // give the delay over the phase.
    const dispatcherUrl = deployment.dispatchers[0]?.url ?? ''
    const loopOf = (text: string): string => `${ms(sample(text, 'nodejs_eventloop_lag_p99_seconds') * 1000)} / ${ms(sample(text, 'nodejs_eventloop_lag_max_seconds') * 1000)}`
    const begin = async (): Promise<void> => {
      const [, dispatcherText] = await Promise.all([scrape(edge.url), scrape(dispatcherUrl)])
      const loop = monitorEventLoopDelay({ resolution: 5 })
      loop.enable()
      phaseStart = {
        at: now(),
        cpu: await cpuMs(edge.pid),
        loop,
        persistSum: sample(dispatcherText, 'chat_dispatcher_persist_seconds_sum'),
        persistCount: sample(dispatcherText, 'chat_dispatcher_persist_seconds_count'),
      }
    }
    const end = async (name: string): Promise<void> => {
      const to = now()
      phaseStart.loop?.disable()
      const [edgeText, dispatcherText] = await Promise.all([scrape(edge.url), scrape(dispatcherUrl)])
      const persists = sample(dispatcherText, 'chat_dispatcher_persist_seconds_count') - phaseStart.persistCount
      const persistSeconds = sample(dispatcherText, 'chat_dispatcher_persist_seconds_sum') - phaseStart.persistSum
      phases.push({
        name,
        from: phaseStart.at,
        to,
        edgeCpuMs: await cpuMs(edge.pid) - phaseStart.cpu,
        ownLoopP99Ms: (phaseStart.loop?.percentile(99) ?? 0) / 1e6,
        edgeLoop: loopOf(edgeText),
        dispatcherLoop: loopOf(dispatcherText),
        persists,
        persistMeanMs: persists > 0 ? (1000 * persistSeconds) / persists : 0,
        load: loadavg()[0] ?? 0,
      })
    }
    figures['load average at start (1 min, machine-wide)'] = loadavg()[0]?.toFixed(2) ?? ''
    // Quiet windows between the attack phases too: the machine's own background varies, and they show by how much.
    const quietGap = async (after: string): Promise<void> => {
      await sleep(1_000)
      await begin()
      await sleep(gapMs)
      await end(`quiet after ${after}`)
    }

    const [tx, rx, attacker, other] = [await api.user('fr_probe_tx'), await api.user('fr_probe_rx'), await api.user('fr_attacker'), await api.user('fr_other')]
    const probeRoom = await api.createRoom(tx, 'probe')
    await api.join(rx, probeRoom)
    const roomA = await api.createRoom(attacker, 'attacker-member')
    const roomF = await api.createRoom(attacker, 'flood')
    const roomB = await api.createRoom(other, 'not-the-attacker\'s', 'private')
    const probe = await startProbe({ wsUrl: edge.wsUrl, sender: tx, receiver: rx, roomId: probeRoom, ratePerSecond: 20 })
    ctx.defer(async () => { probe.kill() })
    const target: FrameTarget = { wsUrl: edge.wsUrl, token: attacker.accessToken, roomId: roomA }

    // 1. Quiet: the probe alone.
    await sleep(sub ? 2_000 : 3_000) // warm-up (JIT, connections, caches), not measured
    await begin()
    await sleep(phaseMs + 1_000)
    await end('quiet')

    // 2. Malformed frames: each attack once (with its details), the semantic ones, then the fast ones over and over.
    await begin()
    const preConnectNoNul = (async () => {
      const c = await RawStompClient.open(edge.wsUrl)
      c.sendRaw(`CONNECT\naccept-version:1.2\nhost:chat\nAuthorization:Bearer ${attacker.accessToken}\n\n`)
      const started = performance.now()
      await c.waitClosed(loginTimeoutMs + 5_000).catch(() => undefined)
      const lifeMs = performance.now() - started
      const error = c.frames.find((f) => f.command === 'ERROR')?.headers.message
      const connected = c.frames.some((f) => f.command === 'CONNECTED')
      c.close()
      return check('no NUL terminator (before CONNECT): never CONNECTED, closed by the login timeout with ERROR login-timeout',
        !connected && error === 'login-timeout' && lifeMs < loginTimeoutMs + 1_500,
        `${connected ? 'CONNECTED' : 'no CONNECTED'}, ERROR ${error ?? '-'} after ${ms(lifeMs)} ms (login timeout ${loginTimeoutMs} ms), close ${c.closeCode ?? '-'}`)
    })()
    // Slowloris: heart-beat EOLs every 200 ms keep bytes flowing but never CONNECT; the login timeout still applies.
    const heartbeatsOnly = (async () => {
      const c = await RawStompClient.open(edge.wsUrl)
      const started = performance.now()
      const beat = setInterval(() => { if (c.closeCode === undefined) c.sendRaw('\n') }, 200)
      await c.waitClosed(loginTimeoutMs + 5_000).catch(() => undefined)
      clearInterval(beat)
      const lifeMs = performance.now() - started
      const error = c.frames.find((f) => f.command === 'ERROR')?.headers.message
      c.close()
      return check('heart-beats only, never a CONNECT: closed by the login timeout all the same',
        error === 'login-timeout' && lifeMs < loginTimeoutMs + 1_500,
        `ERROR ${error ?? '-'} after ${ms(lifeMs)} ms, close ${c.closeCode ?? '-'}`)
    })()
    const once: FrameAttackResult[] = []
    for (const a of FRAME_ATTACKS) {
      once.push(await a.run(target).catch((err: unknown) => ({ name: a.name, ok: false, detail: `failed: ${(err as Error).message}`, answerMs: 0 })))
    }
    for (const r of once) checks.push(check(`${r.name}: ERROR or close`, r.ok, `${r.detail}; answered in ${ms(r.answerMs)} ms`))
    checks.push(...await duplicateDestination(api, edge.wsUrl, attacker, other, roomA, roomB))
    checks.push(await selector(api, edge.wsUrl, attacker, other, roomA, roomB))
    const fast = FRAME_ATTACKS.filter((a) => a.isSlow !== true)
    let repeated = 0
    let repeatedOk = 0
    const loopFrom = performance.now()
    while (performance.now() - loopFrom < phaseMs) {
      const a = fast[repeated % fast.length]
      if (a === undefined) break
      const r = await a.run(target).catch(() => undefined)
      repeated++
      if (r?.ok === true) repeatedOk++
    }
    checks.push(await preConnectNoNul, await heartbeatsOnly)
    await end('malformed frames')
    await quietGap('malformed frames')
    figures['malformed-frame attacks (once each + repeated)'] = once.length + repeated
    figures['malformed-frame attacks answered with ERROR/close'] = once.filter((r) => r.ok).length + repeatedOk
    checks.push(check('repeated malformed frames: every one answered with ERROR/close', repeatedOk === repeated, `${repeatedOk} of ${repeated}`))
    const trickle = once.find((r) => r.name.startsWith('content-length 100 MB') && r.name.includes('after'))
    if (trickle !== undefined) figures['100 MB content-length: ERROR after the header (ms)'] = ms(trickle.answerMs)

    // 3. Sockets that never CONNECT, from a child process; the edge's memory and descriptors before, with, after.
    const rssBefore = await rssBytes(edge.pid)
    const fdsBefore = await openFiles(edge.pid)
    const socketsBefore = await metric(edge.url, 'chat_edge_sockets')
    const heapBefore = await metric(edge.url, 'nodejs_heap_size_used_bytes')
    let heapPeak = heapBefore
    let rssPeak = rssBefore
    let fdsPeak = fdsBefore
    let heldPeak = 0
    await begin()
    const sampler = setInterval(() => {
      rssBytes(edge.pid).then((v) => { rssPeak = Math.max(rssPeak, v) }, () => {})
      openFiles(edge.pid).then((v) => { fdsPeak = Math.max(fdsPeak, v) }, () => {})
    }, 250)
    const idle = idleSockets({ url: edge.wsUrl, count: idleCount, concurrency: sub ? 100 : 250, deadlineMs: loginTimeoutMs + 15_000 }, (p) => { heldPeak = Math.max(heldPeak, p.open) })
    // Meanwhile a new ordinary client connects, subscribes and gets its own message back.
    await sleep(sub ? 500 : 2_000)
    const normalStarted = performance.now()
    const normal = await (async () => {
      const c = await RawStompClient.connect(edge.wsUrl, other.accessToken)
      c.send({ command: 'SUBSCRIBE', headers: { id: 'b', destination: `/topic/rooms.${roomB}`, receipt: 'b' } })
      await answerTo(c, 'b')
      c.sendRaw(`SEND\ndestination:/app/rooms.${roomB}\nreceipt:n\ncontent-type:application/json\n\n{"content":"during the idle sockets"}\0`)
      const got = await c.next((f) => f.command === 'MESSAGE' && bodyText(f).includes('during the idle sockets'), 10_000).then(() => true, () => false)
      c.close()
      return got
    })().catch(() => false)
    const normalMs = performance.now() - normalStarted
    const heapWith = await metric(edge.url, 'nodejs_heap_size_used_bytes')
    heapPeak = Math.max(heapPeak, heapWith)
    const summary = await idle
    clearInterval(sampler)
    await end(`${idleCount} idle sockets`)
    await quietGap('the idle sockets')
    const rssAfter = await rssBytes(edge.pid)
    const fdsAfter = await openFiles(edge.pid)
    const socketsAfter = await metric(edge.url, 'chat_edge_sockets')
    const heapAfter = await metric(edge.url, 'nodejs_heap_size_used_bytes')
    const timedOut = summary.closeCodes['4408'] ?? 0
    checks.push(check(`${idleCount} sockets that never CONNECT: all upgraded`, summary.opened === idleCount && summary.failed === 0, `${summary.opened} opened, ${summary.failed} failed ${JSON.stringify(summary.failures)}`))
    // Closed at the timeout: not before it, and not much after (the edge checks every 250 ms; thousands of closes and
    // a busy client add some latency to what the client sees).
    checks.push(check('each closed by the server at the login timeout (close 4408), none left open',
      timedOut === summary.opened && summary.stillOpen === 0 && summary.shortestLifeMs >= 0.9 * loginTimeoutMs && summary.longestLifeMs < 1.25 * loginTimeoutMs + 1_000,
      `close codes ${JSON.stringify(summary.closeCodes)}; lived ${ms(summary.shortestLifeMs)}–${ms(summary.longestLifeMs)} ms (timeout ${loginTimeoutMs} ms); ${summary.stillOpen} still open`))
    checks.push(check('meanwhile a new client connects, subscribes and gets its message', normal, `${ms(normalMs)} ms`))
    checks.push(check('the edge\'s descriptors and socket count return to their level before (no leak)', fdsAfter <= fdsBefore + 20 && socketsAfter === socketsBefore,
      `open files ${fdsBefore} before, ${fdsPeak} peak, ${fdsAfter} after; chat_edge_sockets ${socketsBefore} before, ${socketsAfter} after`))
    figures['idle sockets opened / held at once (client side)'] = `${summary.opened} / ${Math.max(heldPeak, summary.maxOpenAtOnce)}`
    figures['idle sockets: time to open all (ms)'] = ms(summary.openAllMs)
    figures['edge RSS before / peak / after idle sockets (MiB)'] = `${(rssBefore / MiB).toFixed(1)} / ${(rssPeak / MiB).toFixed(1)} / ${(rssAfter / MiB).toFixed(1)}`
    figures['edge RSS per idle socket at peak (KiB)'] = (((rssPeak - rssBefore) / Math.max(1, summary.maxOpenAtOnce)) / 1024).toFixed(1)
    figures['edge open files before / peak / after'] = `${fdsBefore} / ${fdsPeak} / ${fdsAfter}`
    figures['edge heap used before / with / after idle sockets (MiB)'] = `${(heapBefore / MiB).toFixed(1)} / ${(heapPeak / MiB).toFixed(1)} / ${(heapAfter / MiB).toFixed(1)}`

    // 4. One client sending 1,000 SEND/s.
    await begin()
    const f = await flood(edge.wsUrl, attacker, roomF, floodSeconds)
    await end('1,000 SEND/s')
    await quietGap('the flood')
    const allowed = 40 + 20 * f.seconds
    checks.push(check('1,000 SEND/s: throttled with rate-limited on /user/queue/errors, every SEND answered',
      f.rateLimited > 0 && f.receipts + f.rateLimited + f.otherErrors === f.sent && f.receipts <= allowed + 20,
      `${f.sent} sent in ${f.seconds.toFixed(1)} s: ${f.receipts} receipted (bucket allows ~${allowed.toFixed(0)}), ${f.rateLimited} rate-limited, ${f.otherErrors} other errors`))
    checks.push(check('the flooding connection stays open and sends normally once the bucket refills', f.stillOpen && f.afterwards === 'RECEIPT', `${f.stillOpen ? 'open' : 'closed'}, next SEND: ${f.afterwards}`))
    figures['flood: SENDs sent / receipted / rate-limited'] = `${f.sent} / ${f.receipts} / ${f.rateLimited}`

    // 5. The probe: every message arrived, and each attack phase's p99 stays within 2x of the quiet one.
    const report = await probe.stop()
    const between = (from: number, to: number): number[] => report.samples.filter(([at]) => at >= from && at < to).map(([, l]) => l)
    // The bound comes from the first quiet phase, before any attack (as the issue asks). The quiet windows after each
    // phase are reported beside it: they show how much the machine's own background moves the figure.
    const isQuiet = (p: Phase): boolean => p.name.startsWith('quiet')
    const first = phases[0]
    const quietP99 = first === undefined ? Number.NaN : quantile(between(first.from, first.to), 0.99)
    const bound = p99Bound(quietP99)
    const quietSamples = phases.filter(isQuiet).flatMap((p) => between(p.from, p.to))
    figures['probe p50 / p99 / max, all quiet windows pooled (ms)'] = `${ms(quantile(quietSamples, 0.5))} / ${ms(quantile(quietSamples, 0.99))} / ${ms(quantile(quietSamples, 1))} (${quietSamples.length} messages)`
    figures['probe p99 bound (ms)'] = `${ms(bound)} = max(2 × quiet p99, quiet p99 + 10 ms), quiet p99 ${ms(quietP99)} ms from the first quiet phase`
    for (const p of phases) {
      const l = between(p.from, p.to)
      figures[`probe p50 / p99 / max, ${p.name} (ms)`] = `${ms(quantile(l, 0.5))} / ${ms(quantile(l, 0.99))} / ${ms(quantile(l, 1))} (${l.length} messages; edge CPU ${(100 * p.edgeCpuMs / (p.to - p.from)).toFixed(0)}%, event-loop delay p99 / max: edge ${p.edgeLoop} ms, dispatcher ${p.dispatcherLoop} ms, attacker p99 ${ms(p.ownLoopP99Ms)} ms; dispatcher ${p.persists} persists, mean ${ms(p.persistMeanMs)} ms; load ${p.load.toFixed(1)})`
      if (isQuiet(p)) continue
      // When in the phase the slowest probe messages were sent: tells the attack's start from its end (e.g. the
      // idle sockets' opening from their closing at the login timeout).
      const slowest = report.samples.filter(([at]) => at >= p.from && at < p.to).sort((a, b) => b[1] - a[1]).slice(0, 5)
      figures[`probe's slowest during ${p.name}: ms @ s into the phase`] = slowest.map(([at, l]) => `${ms(l)} @ ${((at - p.from) / 1000).toFixed(1)}`).join(', ')
      const within = quantile(l, 0.99) <= bound && l.length > 0
      const detail = `${ms(quantile(l, 0.99))} ms vs ${ms(bound)} ms (quiet ${ms(quietP99)} ms)`
      // The subset's 3 s phases hold too few probe messages for a p99 (it is the largest of a few dozen), so there
      // the comparison is reported, and it is asserted by the full run (`npm run test:chaos`), whose phases are long.
      if (sub) figures[`other clients' p99 during ${p.name} within the bound (asserted in the full run)`] = `${within ? 'yes' : 'NO'}: ${detail}`
      else checks.push(check(`other clients' p99 during ${p.name} within the bound`, within, detail))
    }
    checks.push(check('the probe pair lost nothing and was never throttled or closed', report.wasOpen && report.outstanding === 0 && report.errors.length === 0 && report.sent > 0,
      `${report.sent} sent, ${report.outstanding} not received, errors ${report.errors.join(',') || 'none'}, ${report.wasOpen ? 'both open' : 'closed'}`))
    figures['load average at end (1 min, machine-wide)'] = loadavg()[0]?.toFixed(2) ?? ''
    const ready = await fetch(`${edge.url}/readyz`).then((r) => r.status, () => 0)
    checks.push(check('the edge process is still running and ready', edge.isRunning && ready === 200, `readyz ${ready}`))
    return { figures, checks }
  },
}
