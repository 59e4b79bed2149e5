import { fork } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { bodyText, type Frame } from '@chat/protocol'
import { RawStompClient, waitFor, type ChatApi, type TestUser } from '@chat/testing'
import { check, type Check, type ChaosCase } from '../chaos-case.js'
import { openFiles, rssBytes } from '../context.js'
import { FRAME_ATTACKS, type FrameAttackResult, type FrameTarget } from './attack-frames.js'
import type { IdleSocketsProgress, IdleSocketsRequest, IdleSocketsSummary } from './attack-idle-sockets.js'
import { LatencyProbe, ms, p99Bound, quantile } from './attack-stomp.js'

const MiB = 1024 * 1024

interface Phase {
  readonly name: string
  readonly from: number
  readonly to: number
  /** CPU the edge used during the phase, ms. */
  readonly edgeCpuMs: number
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

/** Runs the idle-socket generator in a child process (its event loop must not disturb the probe's figures). */
async function idleSockets (req: IdleSocketsRequest, onProgress: (p: IdleSocketsProgress) => void): Promise<IdleSocketsSummary> {
  const child = fork(new URL('./attack-idle-sockets.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
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
    let phaseStart = { at: 0, cpu: 0 }
    const begin = async (): Promise<void> => { phaseStart = { at: performance.now(), cpu: await cpuMs(edge.pid) } }
    const end = async (name: string): Promise<void> => { phases.push({ name, from: phaseStart.at, to: performance.now(), edgeCpuMs: await cpuMs(edge.pid) - phaseStart.cpu }) }
    figures['load average at start (1 min, machine-wide)'] = loadavg()[0]?.toFixed(2) ?? ''

    const [tx, rx, attacker, other] = [await api.user('fr_probe_tx'), await api.user('fr_probe_rx'), await api.user('fr_attacker'), await api.user('fr_other')]
    const probeRoom = await api.createRoom(tx, 'probe')
    await api.join(rx, probeRoom)
    const roomA = await api.createRoom(attacker, 'attacker-member')
    const roomF = await api.createRoom(attacker, 'flood')
    const roomB = await api.createRoom(other, 'not-the-attacker\'s', 'private')
    const probe = await LatencyProbe.start(edge.wsUrl, tx, rx, probeRoom, 20)
    const target: FrameTarget = { wsUrl: edge.wsUrl, token: attacker.accessToken, roomId: roomA }

    // 1. Quiet: the probe alone.
    await sleep(1_000) // warm-up, not measured
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
    checks.push(await preConnectNoNul)
    await end('malformed frames')
    figures['malformed-frame attacks (once each + repeated)'] = once.length + repeated
    figures['malformed-frame attacks answered with ERROR/close'] = once.filter((r) => r.ok).length + repeatedOk
    checks.push(check('repeated malformed frames: every one answered with ERROR/close', repeatedOk === repeated, `${repeatedOk} of ${repeated}`))
    const trickle = once.find((r) => r.name.startsWith('content-length 100 MB') && r.name.includes('after'))
    if (trickle !== undefined) figures['100 MB content-length: ERROR after the header (ms)'] = ms(trickle.answerMs)

    // 3. Sockets that never CONNECT, from a child process; the edge's memory and descriptors before, with, after.
    const rssBefore = await rssBytes(edge.pid)
    const fdsBefore = await openFiles(edge.pid)
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
    const summary = await idle
    clearInterval(sampler)
    await end(`${idleCount} idle sockets`)
    await sleep(2_000)
    const rssAfter = await rssBytes(edge.pid)
    const fdsAfter = await openFiles(edge.pid)
    const timedOut = summary.closeCodes['4408'] ?? 0
    checks.push(check(`${idleCount} sockets that never CONNECT: all upgraded`, summary.opened === idleCount && summary.failed === 0, `${summary.opened} opened, ${summary.failed} failed ${JSON.stringify(summary.failures)}`))
    checks.push(check('each closed by the server at the login timeout (close 4408), none left open',
      timedOut === summary.opened && summary.stillOpen === 0 && summary.longestLifeMs < loginTimeoutMs + 1_500,
      `close codes ${JSON.stringify(summary.closeCodes)}; lived ${ms(summary.shortestLifeMs)}–${ms(summary.longestLifeMs)} ms (timeout ${loginTimeoutMs} ms); ${summary.stillOpen} still open`))
    checks.push(check('meanwhile a new client connects, subscribes and gets its message', normal, `${ms(normalMs)} ms`))
    checks.push(check('the edge\'s descriptors return to their level before (no leak)', fdsAfter <= fdsBefore + 20, `${fdsBefore} before, ${fdsPeak} peak, ${fdsAfter} after`))
    figures['idle sockets opened / held at once (client side)'] = `${summary.opened} / ${Math.max(heldPeak, summary.maxOpenAtOnce)}`
    figures['idle sockets: time to open all (ms)'] = ms(summary.openAllMs)
    figures['edge RSS before / peak / after idle sockets (MiB)'] = `${(rssBefore / MiB).toFixed(1)} / ${(rssPeak / MiB).toFixed(1)} / ${(rssAfter / MiB).toFixed(1)}`
    figures['edge RSS per idle socket at peak (KiB)'] = (((rssPeak - rssBefore) / Math.max(1, summary.maxOpenAtOnce)) / 1024).toFixed(1)
    figures['edge open files before / peak / after'] = `${fdsBefore} / ${fdsPeak} / ${fdsAfter}`

    // 4. One client sending 1,000 SEND/s.
    await begin()
    const f = await flood(edge.wsUrl, attacker, roomF, floodSeconds)
    await end('1,000 SEND/s')
    const allowed = 40 + 20 * f.seconds
    checks.push(check('1,000 SEND/s: throttled with rate-limited on /user/queue/errors, every SEND answered',
      f.rateLimited > 0 && f.receipts + f.rateLimited + f.otherErrors === f.sent && f.receipts <= allowed + 20,
      `${f.sent} sent in ${f.seconds.toFixed(1)} s: ${f.receipts} receipted (bucket allows ~${allowed.toFixed(0)}), ${f.rateLimited} rate-limited, ${f.otherErrors} other errors`))
    checks.push(check('the flooding connection stays open and sends normally once the bucket refills', f.stillOpen && f.afterwards === 'RECEIPT', `${f.stillOpen ? 'open' : 'closed'}, next SEND: ${f.afterwards}`))
    figures['flood: SENDs sent / receipted / rate-limited'] = `${f.sent} / ${f.receipts} / ${f.rateLimited}`

    // 5. The probe: every message arrived, and each attack phase's p99 stays within 2x of the quiet one.
    await waitFor(() => probe.outstanding === 0, { timeoutMs: 5_000, what: 'probe messages delivered' }).catch(() => {})
    const probeOpen = probe.isOpen
    probe.close()
    const quiet = phases[0]
    const quietP99 = quiet === undefined ? Number.NaN : quantile(probe.between(quiet.from, quiet.to), 0.99)
    const bound = p99Bound(quietP99)
    figures['probe p99 bound (ms)'] = `${ms(bound)} = max(2 × quiet, quiet + 10 ms)`
    for (const p of phases) {
      const l = probe.between(p.from, p.to)
      figures[`probe p50 / p99 / max, ${p.name} (ms)`] = `${ms(quantile(l, 0.5))} / ${ms(quantile(l, 0.99))} / ${ms(quantile(l, 1))} (${l.length} messages; edge CPU ${(100 * p.edgeCpuMs / (p.to - p.from)).toFixed(0)}%)`
      if (p !== quiet) checks.push(check(`other clients' p99 during ${p.name} within the bound`, quantile(l, 0.99) <= bound && l.length > 0, `${ms(quantile(l, 0.99))} ms vs ${ms(bound)} ms (quiet ${ms(quietP99)} ms)`))
    }
    checks.push(check('the probe pair lost nothing and was never throttled or closed', probeOpen && probe.outstanding === 0 && probe.errors.length === 0 && probe.sent > 0,
      `${probe.sent} sent, ${probe.outstanding} not received, errors ${probe.errors.join(',') || 'none'}, ${probeOpen ? 'both open' : 'closed'}`))
    figures['load average at end (1 min, machine-wide)'] = loadavg()[0]?.toFixed(2) ?? ''
    const ready = await fetch(`${edge.url}/readyz`).then((r) => r.status, () => 0)
    checks.push(check('the edge process is still running and ready', edge.isRunning && ready === 200, `readyz ${ready}`))
    return { figures, checks }
  },
}
