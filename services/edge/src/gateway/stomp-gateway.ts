import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import { ChatErrorCode } from '@chat/schemas'
import { CloseCode } from '@chat/protocol'
import type { WebSocket } from 'ws'
import type { Socket } from 'node:net'
import type { ServerResponse } from 'node:http'
import type { EdgeHub } from '../hub.js'
import { serveNonWebSocketUpgradesAsHttp } from './h2c-passthrough.js'
import { paceUpgrades } from './upgrade-pacer.js'

export interface StompGatewayOptions {
  readonly hub: EdgeHub
  /** @default '/ws' */
  readonly path?: string
  /** Browser origins allowed besides the same origin. */
  readonly allowedOrigins: readonly string[]
}

/** Subprotocols in order of preference (SPEC section 4). */
const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp']
/**
 * Largest WebSocket message ws accepts. Frames up to it reach the STOMP parser, which answers a frame over
 * the STOMP limit (64 KiB) with an ERROR; a bigger message is cut off by ws itself (close 1009).
 */
const MAX_WS_MESSAGE_BYTES = 256 * 1024
const TEXT = { binary: false } as const
/** At shutdown, how long sockets get to finish their close handshake before they are cut. */
const CLOSE_GRACE_MS = 3_000

function isOriginAllowed (req: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true // not a browser, or a same-origin request from an old one
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  // Compare whole origins (scheme, host, port), never prefixes: `http://good.example.evil.com` is not `http://good.example`.
  if (parsed.origin === 'null') return false
  if (allowed.includes(parsed.origin)) return true
  const host = req.headers.host
  return host !== undefined && parsed.host === host.toLowerCase() && (parsed.protocol === 'http:' || parsed.protocol === 'https:')
}

/**
 * The `/ws` endpoint: checks the Origin and the connection cap before the upgrade, then hands the socket to
 * a StompSession. Listeners are attached synchronously in the handler, so no message is lost between the
 * upgrade and the session.
 */
const plugin: FastifyPluginAsync<StompGatewayOptions> = async function stompGateway (app, opts) {
  const hub = opts.hub
  await app.register(websocket, {
    preClose: async function closeSockets (this: FastifyInstance): Promise<void> {
      // The plugin's own preClose starts each socket's close handshake and lets the HTTP server wait for them:
      // a client that never answers would hold the shutdown for ws's 30 s close timeout. Cut those after a grace.
      const wss = this.websocketServer
      for (const client of wss.clients) client.close(CloseCode.SERVER_RESTART, 'server-shutdown')
      for (let waited = 0; wss.clients.size > 0 && waited < CLOSE_GRACE_MS; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
    options: {
      maxPayload: MAX_WS_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (offered: Set<string>) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    },
  })
  serveNonWebSocketUpgradesAsHttp(app.server)
  paceUpgrades(app.server, hub.paced)

  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!isOriginAllowed(req, opts.allowedOrigins)) {
      hub.metrics.upgradesRefused.inc({ reason: 'origin' })
      await reply.code(403).send({ statusCode: 403, code: ChatErrorCode.ORIGIN_FORBIDDEN, message: 'this origin may not open /ws' })
      return
    }
    if (hub.isDraining() || hub.socketCount >= hub.limits.maxConnections) {
      hub.metrics.upgradesRefused.inc({ reason: hub.isDraining() ? 'draining' : 'capacity' })
      // Jittered so refused clients do not come back in step.
      const retryAfterSeconds = 1 + Math.floor(Math.random() * 5)
      await reply.code(503).header('retry-after', String(retryAfterSeconds)).send({ statusCode: 503, code: ChatErrorCode.OVERLOADED, message: 'too many connections; retry later' })
    }
  }

  const onSocketError = (err: Error): void => { app.log.debug({ err }, 'websocket error') }

  app.get(opts.path ?? '/ws', { websocket: true, onRequest: guard }, (socket: WebSocket) => {
    // Frames written in one turn of the event loop (a fan-out of a pack of messages, a RECEIPT burst)
    // leave in one write: the socket is corked at the first and uncorked once the turn's work is done.
    const raw = (socket as unknown as { _socket?: Socket })._socket
    let corked = false
    const uncork = (): void => {
      corked = false
      raw?.uncork()
    }
    const session = hub.openSession({
      send: (data) => {
        if (!corked && raw !== undefined) {
          corked = true
          raw.cork()
          process.nextTick(uncork)
        }
        socket.send(data, TEXT)
      },
      close: (code, reason) => socket.close(code, reason),
      terminate: () => socket.terminate(),
      bufferedAmount: () => socket.bufferedAmount,
    }, socket.protocol === '' ? undefined : socket.protocol)
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      session.push(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data))
    })
    socket.on('close', () => session.end())
    // @fastify/websocket's own 'error' listener closes over the upgrade's request and reply, which would keep
    // them (headers, the pino child, the ServerResponse: several KiB) alive as long as the socket. The session
    // owns the socket now: one listener of ours replaces it (ws closes the socket after an error itself).
    socket.removeAllListeners('error')
    socket.on('error', onSocketError)
    // The same for the ServerResponse @fastify/websocket assigned to the TCP socket at the upgrade: it would keep
    // itself and the IncomingMessage (headers and raw headers) reachable from the socket until it closes.
    const response = (raw as { _httpMessage?: ServerResponse } | undefined)?._httpMessage
    if (raw !== undefined && response !== undefined && response !== null) response.detachSocket(raw)
  })
}

export const stompGateway = fp(plugin, { name: 'chat-stomp-gateway', fastify: '5.x' })
