import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

const HOP_TOKENS = new Set(['upgrade', 'http2-settings'])

/**
 * Serves requests carrying `Upgrade: h2c` (Java's HttpClient sends it on plain HTTP) as ordinary HTTP/1.1
 * instead of refusing them (SPEC section 4). Node hands every request with an Upgrade header to the
 * 'upgrade' listeners once any exist, with the body unread; for anything but a WebSocket upgrade we put
 * the request back on the socket without its upgrade headers and let the HTTP server parse it afresh.
 * Call after every 'upgrade' listener (the WebSocket plugin's) is installed.
 */
export function serveNonWebSocketUpgradesAsHttp (server: Server): void {
  const listeners = server.listeners('upgrade') as UpgradeListener[]
  server.removeAllListeners('upgrade')
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      for (const l of listeners) l.call(server, req, socket, head)
      return
    }
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`]
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? ''
      let value = req.rawHeaders[i + 1] ?? ''
      const lower = name.toLowerCase()
      if (HOP_TOKENS.has(lower)) continue
      if (lower === 'connection') {
        value = value.split(',').map((t) => t.trim()).filter((t) => t !== '' && !HOP_TOKENS.has(t.toLowerCase())).join(', ')
        if (value === '') continue
      }
      lines.push(`${name}: ${value}`)
    }
    socket.unshift(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), head]))
    server.emit('connection', socket)
  })
}
