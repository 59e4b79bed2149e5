import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StompParser, type Frame } from '@chat/protocol'
import { TestClock, waitFor } from '@chat/testing'
import { createMetricsRegistry, silentLogger } from '@chat/observability'
import type { AccessClaims } from '@chat/tokens'
import { loadEdgeConfig, type EdgeLimits } from '../src/index.js'
import { createEdgeMetrics } from '../src/metrics.js'
import { StompSession } from '../src/session/stomp-session.js'
import type { SessionContext } from '../src/session/session-context.js'
import type { SessionTransport } from '../src/session/transport.js'

// A StompSession driven by hand through a fake SessionContext and a fake transport: the session decides about its
// own deadlines (login timeout, heart-beats, token expiry, a slow socket) when the edge ticks it.

class FakeTransport implements SessionTransport {
  readonly frames: Frame[] = []
  heartbeats = 0
  closed: number | undefined
  terminated = false
  buffered = 0
  readonly #parser = new StompParser()

  send (data: Buffer): void {
    for (const e of this.#parser.push(data)) {
      if (e.type === 'frame') this.frames.push(e.frame)
      else if (e.type === 'heartbeat') this.heartbeats++
    }
  }

  close (code: number): void { this.closed = code }
  terminate (): void { this.terminated = true }
  bufferedAmount (): number { return this.buffered }
}

/** A context answering every question "yes", on a test clock; `closeLater` runs the task at once while its quota lasts. */
function fakeContext (clock: TestClock, limits: Partial<EdgeLimits> = {}, tokenExp = clock.now() / 1000 + 3600): SessionContext & { closeQuota: number } {
  const base = loadEdgeConfig({ JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' }, { requireServers: false }).limits
  const claims: AccessClaims = { sub: 'u1', dev: 'd1', ver: 3, typ: 'access', name: 'alice', exp: tokenExp } as AccessClaims
  const ctx = {
    limits: { ...base, ...limits },
    log: silentLogger,
    metrics: createEdgeMetrics(createMetricsRegistry({ defaultMetrics: false })),
    tickMs: 250,
    closeQuota: Number.POSITIVE_INFINITY,
    now: () => clock.now(),
    verify: async () => ({ ok: true as const, claims }),
    isMember: () => true,
    takeSendToken: () => true,
    isDraining: () => false,
    publish: async () => {},
    publishTyping: () => {},
    markRead: async () => {},
    markReadLater: () => {},
    subscribeRoom: async () => {},
    unsubscribeRoom: () => {},
    subscribeTopic: async () => {},
    unsubscribeTopic: () => {},
    subscribeUser: async () => {},
    unsubscribeUser: () => {},
    sessionConnected: () => {},
    sessionAbandoned: () => {},
    sessionEnded: () => {},
    roomJoined: () => {},
    roomLeft: () => {},
    closeLater (task: () => void): boolean {
      if (ctx.closeQuota <= 0) return false
      ctx.closeQuota--
      task()
      return true
    },
  }
  return ctx
}

async function connected (ctx: SessionContext, transport: FakeTransport, heartBeat = '0,0'): Promise<StompSession> {
  const s = new StompSession(ctx, transport)
  s.push(`CONNECT\naccept-version:1.2\nheart-beat:${heartBeat}\nAuthorization:Bearer t\n\n\0`)
  await waitFor(() => transport.frames.some((f) => f.command === 'CONNECTED'), { what: 'CONNECTED' })
  return s
}

function errorOf (t: FakeTransport): string | undefined {
  return t.frames.find((f) => f.command === 'ERROR')?.headers.message
}

test('login timeout: a socket without CONNECT is closed at the deadline, as paced work within the tick\'s quota', () => {
  const clock = new TestClock()
  const ctx = fakeContext(clock, { loginTimeoutMs: 1_000 })
  const transport = new FakeTransport()
  const s = new StompSession(ctx, transport)
  clock.advance(999)
  s.tick(clock.now())
  assert.equal(transport.closed, undefined)
  // 1. At the deadline, but this tick's quota of closes is spent: nothing yet.
  clock.advance(1)
  ctx.closeQuota = 0
  s.tick(clock.now())
  assert.equal(transport.closed, undefined)
  // 2. The next tick has room.
  ctx.closeQuota = 1
  s.tick(clock.now())
  assert.equal(errorOf(transport), 'login-timeout')
  assert.equal(transport.closed, 4408)
})

test('heart-beats: ours go out when due; a client silent for twice its interval is dropped', async () => {
  const clock = new TestClock()
  const ctx = fakeContext(clock, { heartbeatMs: 1_000 })
  const transport = new FakeTransport()
  const s = await connected(ctx, transport, '1000,1000')
  // 1. Due 250 ms early (one tick), so it is never late.
  clock.advance(700)
  s.tick(clock.now())
  assert.equal(transport.heartbeats, 0)
  clock.advance(50)
  s.tick(clock.now())
  assert.equal(transport.heartbeats, 1)
  // 2. The client's EOLs keep it alive.
  clock.advance(1_500)
  s.push('\n')
  clock.advance(1_500)
  s.tick(clock.now())
  assert.equal(transport.closed, undefined)
  // 3. Silent for more than 2 × 1,000 ms.
  clock.advance(501)
  s.tick(clock.now())
  assert.equal(errorOf(transport), 'heartbeat-timeout')
  assert.equal(transport.closed, 4502)
})

test('token expiry ends the session with token-expired', async () => {
  const clock = new TestClock()
  const ctx = fakeContext(clock, {}, clock.now() / 1000 + 60)
  const transport = new FakeTransport()
  const s = await connected(ctx, transport)
  clock.advance(59_999)
  s.tick(clock.now())
  assert.equal(transport.closed, undefined)
  clock.advance(1)
  s.tick(clock.now())
  assert.equal(errorOf(transport), 'token-expired')
  assert.equal(transport.closed, 4401)
})

test('a slow consumer: over the threshold for the whole window, or over the hard limit at once, is cut', async () => {
  const clock = new TestClock()
  const limits = { slowConsumerBytes: 1_000, slowConsumerMs: 2_000, hardBufferBytes: 16_000 }
  const transport = new FakeTransport()
  const s = await connected(fakeContext(clock, limits), transport)
  // 1. Slow, then caught up: the window starts over.
  transport.buffered = 5_000
  s.tick(clock.now())
  clock.advance(1_900)
  transport.buffered = 10
  s.tick(clock.now())
  transport.buffered = 5_000
  clock.advance(100)
  s.tick(clock.now())
  clock.advance(1_999)
  s.tick(clock.now())
  assert.equal(transport.terminated, false)
  // 2. Slow for the whole window.
  clock.advance(1)
  s.tick(clock.now())
  assert.equal(transport.terminated, true)

  const other = new FakeTransport()
  const t = await connected(fakeContext(clock, limits), other)
  other.buffered = 16_000
  t.tick(clock.now())
  assert.equal(other.terminated, true, 'at the hard limit, whatever the time')
})

test('a revocation ends only sessions holding an older token version', async () => {
  const clock = new TestClock()
  const transport = new FakeTransport()
  const s = await connected(fakeContext(clock), transport) // token version 3
  s.revoke(3)
  assert.equal(transport.closed, undefined)
  s.revoke(4)
  assert.equal(errorOf(transport), 'token-revoked')
})
