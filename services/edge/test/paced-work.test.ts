import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { once } from 'node:events'
import { paceUpgrades } from '../src/gateway/upgrade-pacer.js'
import { PacedWork } from '../src/paced-work.js'

const UPGRADE_REQUEST = 'GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'

/**
 * A server whose upgrade listener spends `costMs` of CPU per upgrade (as routing, the handshake and a session
 * do), then answers; it records how many upgrades ran in one turn of the event loop.
 */
async function pacedServer (budgetMs: number, costMs: number): Promise<{ server: Server, port: number, handled: () => number, largestBatch: () => number }> {
  const server = createServer()
  let handled = 0
  let largestBatch = 0
  // A turn counter: one tick per check phase of the loop.
  let turn = 0
  let ticker = setImmediate(function tick () { turn++; ticker = setImmediate(tick) })
  server.on('close', () => clearImmediate(ticker))
  let batchTurn = -1
  let inBatch = 0
  server.on('upgrade', (_req, socket) => {
    socket.on('error', () => {}) // as ws does once it takes a socket
    handled++
    if (turn !== batchTurn) {
      batchTurn = turn
      inBatch = 0
    }
    largestBatch = Math.max(largestBatch, ++inBatch)
    const busyUntil = performance.now() + costMs
    while (performance.now() < busyUntil) { /* the upgrade's work */ }
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')
  })
  paceUpgrades(server, new PacedWork(budgetMs))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port, handled: () => handled, largestBatch: () => largestBatch }
}

async function answerOf (socket: Socket): Promise<string> {
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  await once(socket, 'close')
  return Buffer.concat(chunks).toString('latin1')
}

async function upgrade (port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  socket.write(UPGRADE_REQUEST)
  return await answerOf(socket)
}

test('a burst of upgrades is handled a few per turn of the event loop, within the budget, every one answered', async () => {
  // 2 ms per upgrade, 5 ms per turn: the third upgrade of a turn is its last.
  const s = await pacedServer(5, 2)
  try {
    // Connected first, then every request written in one go: they reach the server in one poll phase.
    const sockets = await Promise.all(Array.from({ length: 200 }, async () => {
      const socket = connect(s.port, '127.0.0.1')
      await once(socket, 'connect')
      return socket
    }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const answered = sockets.map(answerOf)
    for (const socket of sockets) socket.write(UPGRADE_REQUEST)
    const answers = await Promise.all(answered)
    assert.equal(answers.filter((a) => a.endsWith('\r\n\r\nok')).length, 200)
    assert.equal(s.handled(), 200)
    assert.ok(s.largestBatch() >= 1 && s.largestBatch() <= 3, `largest batch ${s.largestBatch()}`)
  } finally {
    s.server.close()
  }
})

test('a socket that fails or closes while it waits is dropped without harming the server or the others', async () => {
  const s = await pacedServer(0, 0)
  try {
    const answers = Array.from({ length: 30 }, async (_v, i) => {
      if (i % 3 !== 0) return await upgrade(s.port)
      const socket = connect(s.port, '127.0.0.1')
      socket.on('error', () => {})
      socket.write(UPGRADE_REQUEST, () => socket.resetAndDestroy())
      await once(socket, 'close')
      return 'reset'
    })
    const got = await Promise.all(answers)
    assert.equal(got.filter((a) => a.endsWith('ok')).length, 20)
    // The server still takes new upgrades.
    assert.ok((await upgrade(s.port)).endsWith('ok'))
  } finally {
    s.server.close()
  }
})
