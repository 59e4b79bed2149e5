/**
 * The bare `ws` baseline: a Node `ws` server, no STOMP, no broker, no storage. A socket joins the room named by
 * its URL path (`/r12`); each text message it sends is written to every socket of that room, itself included,
 * exactly as received. A message that is just `\n` is a heart-beat and is not relayed; the server sends `\n` to
 * each socket every HEARTBEAT_MS (default 10 s), as a STOMP server would. Runs as its own process:
 *
 *   node --import tsx bench/load/ws-broadcast-server.ts      # prints `listening <port>` on stdout
 *
 * PORT (default 0: any free port) and HOST (default 127.0.0.1) come from the environment.
 */
import { WebSocketServer, type WebSocket } from 'ws'

const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 0)
const heartbeatMs = Number(process.env.HEARTBEAT_MS ?? 10_000)

const rooms = new Map<string, Set<WebSocket>>()
const TEXT = { binary: false, compress: false } as const

const server = new WebSocketServer({ host, port, perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 1024 * 1024, clientTracking: true })

server.on('connection', (socket, req) => {
  const room = (req.url ?? '/').slice(1)
  let members = rooms.get(room)
  if (members === undefined) {
    members = new Set()
    rooms.set(room, members)
  }
  members.add(socket)
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (data.length === 1 && data[0] === 10) return
    const peers = rooms.get(room)
    if (peers === undefined) return
    const opts = isBinary ? { binary: true, compress: false } : TEXT
    for (const peer of peers) peer.send(data, opts)
  })
  socket.on('close', () => {
    const peers = rooms.get(room)
    peers?.delete(socket)
    if (peers?.size === 0) rooms.delete(room)
  })
  socket.on('error', () => {})
})

if (heartbeatMs > 0) {
  setInterval(() => {
    for (const socket of server.clients) socket.send('\n', TEXT)
  }, heartbeatMs).unref()
}

server.on('listening', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address !== null ? address.port : port
  process.stdout.write(`listening ${actual}\n`)
})

const shutdown = (): void => {
  for (const socket of server.clients) socket.terminate()
  server.close(() => process.exit(0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
