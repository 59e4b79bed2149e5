import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { PacedWork } from '../paced-work.js'

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * Runs the 'upgrade' listeners installed so far (routing, the WebSocket handshake, a session: a burst of hundreds
 * arrives in one poll phase in a connection storm) as paced work. A socket that fails or closes while it waits is
 * dropped.
 */
export function paceUpgrades (server: Server, work: PacedWork): void {
  const listeners = server.listeners('upgrade') as UpgradeListener[]
  server.removeAllListeners('upgrade')
  // Node removes its own 'error' listener from an upgraded socket: until ws adds one, an error would throw.
  const onWaitingError = function (this: Duplex): void { this.destroy() }
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onWaitingError)
    work.push(() => {
      socket.removeListener('error', onWaitingError)
      if (socket.destroyed) return
      for (const l of listeners) l.call(server, req, socket, head)
    })
  })
}
