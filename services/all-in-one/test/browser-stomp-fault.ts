import type { BrowserContext } from 'playwright-core'

/** What the fault saw: the clientMsgId of every chat SEND, in order, and how many it refused. */
export interface SendLog {
  readonly clientMsgIds: string[]
  refused: number
}

function header (frame: string, name: string): string | undefined {
  const head = frame.slice(0, frame.indexOf('\n\n'))
  for (const line of head.split('\n').slice(1)) {
    const i = line.indexOf(':')
    if (line.slice(0, i) === name) return line.slice(i + 1)
  }
  return undefined
}

/**
 * Sits between the page and `/ws` (Playwright's WebSocket routing) and answers the first `count` chat SENDs the
 * way the server answers a send it could not publish: a MESSAGE on `/user/queue/errors` with the SEND's
 * `receipt-id` and code `broker-unavailable`, the SEND never reaching the server. Everything else passes through
 * untouched. Must be installed before the page opens its socket.
 */
export async function refuseChatSends (context: BrowserContext, count: number): Promise<SendLog> {
  const log: SendLog = { clientMsgIds: [], refused: 0 }
  await context.routeWebSocket(/\/ws$/, (page) => {
    const server = page.connectToServer()
    let errorsSubscription = ''
    server.onMessage((m) => page.send(m))
    page.onMessage((m) => {
      const frame = String(m)
      const destination = header(frame, 'destination') ?? ''
      if (frame.startsWith('SUBSCRIBE\n') && destination === '/user/queue/errors') errorsSubscription = header(frame, 'id') ?? ''
      if (frame.startsWith('SEND\n') && /^\/app\/rooms\.[0-9a-f-]{36}$/.test(destination)) {
        const body = JSON.parse(frame.slice(frame.indexOf('\n\n') + 2, frame.lastIndexOf('\0'))) as { clientMsgId: string }
        log.clientMsgIds.push(body.clientMsgId)
        if (log.refused < count) {
          log.refused++
          const receipt = header(frame, 'receipt') ?? ''
          const error = JSON.stringify({ code: 'broker-unavailable', message: 'the broker is unavailable', receiptId: receipt, clientMsgId: body.clientMsgId })
          page.send(`MESSAGE\ndestination:/user/queue/errors\nsubscription:${errorsSubscription}\nmessage-id:fault-${log.refused}\n` +
            `code:broker-unavailable\nreceipt-id:${receipt}\ncontent-type:application/json\n\n${error}\0`)
          return
        }
      }
      server.send(m)
    })
  })
  return log
}
