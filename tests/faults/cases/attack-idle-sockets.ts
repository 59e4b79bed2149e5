// A child process (forked by frames.ts) that opens many WebSockets to the edge and never sends a byte on them, so
// the generator's own event loop does not disturb the latency the parent measures. It reports progress and a final
// summary over IPC, and exits when done or when the parent goes away.
//
//   fork('attack-idle-sockets.ts', ['--attack-idle-sockets-child'], { execArgv: ['--import', 'tsx'] }), then send an IdleSocketsRequest
import WebSocket from 'ws'

export interface IdleSocketsRequest {
  readonly url: string
  readonly count: number
  /** Upgrades in flight at once. */
  readonly concurrency: number
  /** Give up waiting for the server to close them after this long. */
  readonly deadlineMs: number
}

export interface IdleSocketsProgress {
  readonly type: 'progress'
  readonly opened: number
  readonly open: number
  readonly failed: number
}

export interface IdleSocketsSummary {
  readonly type: 'done'
  readonly opened: number
  readonly failed: number
  readonly failures: Readonly<Record<string, number>>
  /** Close codes of the opened sockets, as the client saw them. */
  readonly closeCodes: Readonly<Record<string, number>>
  /** Sockets the server had not closed at the deadline (closed by us). */
  readonly stillOpen: number
  readonly maxOpenAtOnce: number
  readonly openAllMs: number
  /** Longest time from a socket's upgrade to its close by the server. */
  readonly longestLifeMs: number
  readonly shortestLifeMs: number
}

async function run (req: IdleSocketsRequest): Promise<IdleSocketsSummary> {
  const started = performance.now()
  const sockets = new Set<WebSocket>()
  const failures: Record<string, number> = {}
  const closeCodes: Record<string, number> = {}
  let opened = 0
  let failed = 0
  let open = 0
  let maxOpenAtOnce = 0
  let longestLifeMs = 0
  let shortestLifeMs = Number.POSITIVE_INFINITY
  let openAllMs = 0
  let allClosed: () => void = () => {}
  const closedAll = new Promise<void>((resolve) => { allClosed = resolve })
  const progress = setInterval(() => process.send?.({ type: 'progress', opened, open, failed } satisfies IdleSocketsProgress), 250)

  const openOne = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(req.url, ['v12.stomp'], { handshakeTimeout: 30_000, perMessageDeflate: false })
      let openedAt = 0
      ws.on('open', () => {
        openedAt = performance.now()
        opened++
        open++
        maxOpenAtOnce = Math.max(maxOpenAtOnce, open)
        sockets.add(ws)
        resolve()
      })
      ws.on('unexpected-response', (_r, res) => {
        failures[`http ${res.statusCode ?? 0}`] = (failures[`http ${res.statusCode ?? 0}`] ?? 0) + 1
        failed++
        ws.terminate()
        resolve()
      })
      ws.on('error', (err) => {
        if (openedAt !== 0) return
        const key = (err as { code?: string }).code ?? err.message
        failures[key] = (failures[key] ?? 0) + 1
        failed++
        resolve()
      })
      ws.on('close', (code) => {
        if (openedAt === 0) return
        const life = performance.now() - openedAt
        longestLifeMs = Math.max(longestLifeMs, life)
        shortestLifeMs = Math.min(shortestLifeMs, life)
        closeCodes[String(code)] = (closeCodes[String(code)] ?? 0) + 1
        open--
        sockets.delete(ws)
        if (open === 0 && opened + failed === req.count) allClosed()
      })
    })
  }

  let next = 0
  await Promise.all(Array.from({ length: Math.min(req.concurrency, req.count) }, async () => {
    while (next < req.count) {
      next++
      await openOne()
    }
  }))
  openAllMs = performance.now() - started
  if (open === 0) allClosed()
  await Promise.race([closedAll, new Promise((resolve) => setTimeout(resolve, req.deadlineMs))])
  clearInterval(progress)
  const stillOpen = sockets.size
  for (const ws of sockets) ws.terminate()
  return {
    type: 'done',
    opened,
    failed,
    failures,
    closeCodes,
    stillOpen,
    maxOpenAtOnce,
    openAllMs,
    longestLifeMs,
    shortestLifeMs: Number.isFinite(shortestLifeMs) ? shortestLifeMs : 0,
  }
}

if (process.argv.includes('--attack-idle-sockets-child') && process.send !== undefined) {
  process.on('disconnect', () => process.exit(0))
  process.once('message', (req: IdleSocketsRequest) => {
    run(req).then((summary) => {
      process.send?.(summary, () => process.exit(0))
    }, (err: unknown) => {
      process.send?.({ type: 'error', message: (err as Error).message }, () => process.exit(1))
    })
  })
}
