import { setTimeout as sleep } from 'node:timers/promises'
import { RawStompClient } from '@chat/testing'

const KiB = 1024
const MiB = 1024 * KiB

/** Where the malformed frames go: the edge, a token of a user, and a room that user is a member of. */
export interface FrameTarget {
  readonly wsUrl: string
  readonly token: string
  readonly roomId: string
}

export interface FrameAttackResult {
  readonly name: string
  /** Answered as expected: the ERROR code or close the attack must get, and nothing else (no CONNECTED, no RECEIPT). */
  readonly ok: boolean
  readonly detail: string
  /** From the attack's last decisive byte to the ERROR or close, ms. */
  readonly answerMs: number
}

export interface FrameAttack {
  readonly name: string
  /** Slow ones (they wait to show that nothing happens) are left out of the repeated loop. */
  readonly isSlow?: boolean
  run (t: FrameTarget): Promise<FrameAttackResult>
}

/** Waits until the client got an ERROR frame or was closed (or the timeout); the ERROR's message and the close code. */
async function ending (c: RawStompClient, timeoutMs: number): Promise<{ error: string | undefined, closeCode: number | undefined }> {
  await c.next((f) => f.command === 'ERROR', timeoutMs).catch(() => undefined)
  await c.waitClosed(Math.min(timeoutMs, 2_000)).catch(() => undefined)
  return { error: c.frames.find((f) => f.command === 'ERROR')?.headers.message, closeCode: c.closeCode }
}

function connectFrame (token: string, extra = ''): string {
  return `CONNECT\naccept-version:1.2\nhost:chat\nheart-beat:0,0\nAuthorization:Bearer ${token}\n${extra}`
}

function chunks (data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size))
  return out
}

/**
 * One malformed-frame attack: open (and CONNECT when `afterConnect`), send `payload` as one or several WebSocket
 * messages, then expect one of `errors` (ERROR `message`) or `closes` (WebSocket close codes).
 */
function attack (name: string, o: {
  afterConnect: boolean
  payload: (t: FrameTarget) => Buffer[]
  errors?: readonly string[]
  closes?: readonly number[]
  timeoutMs?: number
}): FrameAttack {
  return {
    name,
    async run (t) {
      const c = o.afterConnect ? await RawStompClient.connect(t.wsUrl, t.token) : await RawStompClient.open(t.wsUrl)
      c.maxFrames = 50
      const before = c.frames.length
      for (const part of o.payload(t)) {
        if (c.closeCode !== undefined) break
        c.sendRaw(part)
      }
      const sentAt = performance.now()
      const end = await ending(c, o.timeoutMs ?? 5_000)
      const answerMs = performance.now() - sentAt
      const after = c.frames.slice(before)
      const wrong = after.filter((f) => f.command === 'CONNECTED' || f.command === 'RECEIPT' || (f.command === 'MESSAGE' && f.headers.destination !== '/user/queue/errors'))
      c.close()
      const matched = (end.error !== undefined && (o.errors ?? []).includes(end.error)) || (end.closeCode !== undefined && (o.closes ?? []).includes(end.closeCode))
      return {
        name,
        ok: matched && end.closeCode !== undefined && wrong.length === 0,
        detail: `ERROR ${end.error ?? '-'}, close ${end.closeCode ?? '-'}${wrong.length > 0 ? `, unexpected ${wrong.map((f) => f.command).join(',')}` : ''}`,
        answerMs,
      }
    },
  }
}

function sendHead (roomId: string, extra = ''): string {
  return `SEND\ndestination:/app/rooms.${roomId}\ncontent-type:application/json\n${extra}`
}

/** `content-length` of 100 MB, then the body trickled: the ERROR must come right after the header, not after 100 MB. */
function trickled (afterConnect: boolean): FrameAttack {
  const name = `content-length 100 MB, body trickled (${afterConnect ? 'after' : 'before'} CONNECT)`
  return {
    name,
    async run (t) {
      const c = afterConnect ? await RawStompClient.connect(t.wsUrl, t.token) : await RawStompClient.open(t.wsUrl)
      const head = afterConnect ? `${sendHead(t.roomId)}content-length:104857600\n\n` : 'CONNECT\naccept-version:1.2\ncontent-length:104857600\n\n'
      c.sendRaw(head)
      const sentAt = performance.now()
      let trickledBytes = 0
      const chunk = Buffer.alloc(KiB, 0x61)
      while (c.closeCode === undefined && !c.frames.some((f) => f.command === 'ERROR') && performance.now() - sentAt < 3_000) {
        c.sendRaw(chunk)
        trickledBytes += chunk.length
        await sleep(20)
      }
      const end = await ending(c, 3_000)
      const answerMs = performance.now() - sentAt
      c.close()
      return {
        name,
        ok: end.error === 'frame-too-large' && end.closeCode !== undefined,
        detail: `ERROR ${end.error ?? '-'} after ${answerMs.toFixed(0)} ms and ${trickledBytes} body bytes, close ${end.closeCode ?? '-'}`,
        answerMs,
      }
    },
  }
}

/** A frame whose NUL never comes: nothing happens (no RECEIPT, no ERROR, open), until the frame limit is passed. */
function noNul (): FrameAttack {
  const name = 'no NUL terminator (after CONNECT): no effect, then frame-too-large'
  return {
    name,
    isSlow: true,
    async run (t) {
      const c = await RawStompClient.connect(t.wsUrl, t.token)
      c.sendRaw(`${sendHead(t.roomId, 'receipt:no-nul\n')}\n${JSON.stringify({ content: 'never complete', clientMsgId: `no-nul-${Date.now()}` })}`)
      await sleep(1_000)
      const quiet = c.closeCode === undefined && !c.frames.some((f) => f.command === 'RECEIPT' || f.command === 'ERROR')
      for (const part of chunks(Buffer.alloc(70 * KiB, 0x61), 8 * KiB)) c.sendRaw(part)
      const sentAt = performance.now()
      const end = await ending(c, 5_000)
      c.close()
      return {
        name,
        ok: quiet && end.error === 'frame-too-large' && end.closeCode !== undefined && !c.frames.some((f) => f.command === 'RECEIPT'),
        detail: `${quiet ? 'nothing for 1 s' : 'something happened before the limit'}; then ERROR ${end.error ?? '-'}, close ${end.closeCode ?? '-'}`,
        answerMs: performance.now() - sentAt,
      }
    },
  }
}

/**
 * A content-length longer than the body: the frame waits for more (the following SEND is swallowed as body), and
 * when the byte after content-length bytes is not NUL, malformed-frame.
 */
function longContentLength (): FrameAttack {
  const name = 'content-length longer than the body: waits, swallows the next frame, then malformed-frame'
  return {
    name,
    isSlow: true,
    async run (t) {
      const c = await RawStompClient.connect(t.wsUrl, t.token)
      c.sendRaw(`${sendHead(t.roomId, 'receipt:long-1\ncontent-length:60000\n')}\n{"content":"short"}\0`)
      await sleep(500)
      c.sendRaw(`${sendHead(t.roomId, 'receipt:long-2\n')}\n${JSON.stringify({ content: 'swallowed', clientMsgId: `long-${Date.now()}` })}\0`)
      await sleep(500)
      const quiet = c.closeCode === undefined && !c.frames.some((f) => f.command === 'RECEIPT' || f.command === 'ERROR')
      c.sendRaw(Buffer.alloc(64 * KiB, 0x61))
      const sentAt = performance.now()
      const end = await ending(c, 5_000)
      c.close()
      return {
        name,
        ok: quiet && end.error === 'malformed-frame' && !c.frames.some((f) => f.command === 'RECEIPT'),
        detail: `${quiet ? 'nothing for 1 s, next SEND swallowed' : 'answered before the body was complete'}; then ERROR ${end.error ?? '-'}, close ${end.closeCode ?? '-'}`,
        answerMs: performance.now() - sentAt,
      }
    },
  }
}

const big = (n: number): string => 'a'.repeat(n)
const headers = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('')

/** The malformed frames of issue case 12, before and after CONNECT. */
export const FRAME_ATTACKS: readonly FrameAttack[] = [
  attack('1 MiB before CONNECT, one WebSocket message', {
    afterConnect: false,
    payload: (t) => [Buffer.from(`${connectFrame(t.token)}\n${big(MiB)}\0`)],
    closes: [1009],
    errors: ['frame-too-large'],
  }),
  attack('1 MiB after CONNECT, one WebSocket message', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId)}\n${big(MiB)}\0`)],
    closes: [1009],
    errors: ['frame-too-large'],
  }),
  attack('1 MiB before CONNECT, in 64 KiB WebSocket messages', {
    afterConnect: false,
    payload: (t) => chunks(Buffer.from(`${connectFrame(t.token)}\n${big(MiB)}\0`), 64 * KiB),
    errors: ['frame-too-large'],
  }),
  attack('1 MiB after CONNECT, in 64 KiB WebSocket messages', {
    afterConnect: true,
    payload: (t) => chunks(Buffer.from(`${sendHead(t.roomId)}\n${big(MiB)}\0`), 64 * KiB),
    errors: ['frame-too-large'],
  }),
  trickled(false),
  trickled(true),
  attack('1,000 headers before CONNECT', {
    afterConnect: false,
    payload: (t) => [Buffer.from(`${connectFrame(t.token, headers(1000))}\n\0`)],
    errors: ['too-many-headers'],
  }),
  attack('1,000 headers after CONNECT', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId, headers(1000))}\n{"content":"x"}\0`)],
    errors: ['too-many-headers'],
  }),
  attack('a 100 KiB header line before CONNECT', {
    afterConnect: false,
    payload: (t) => [Buffer.from(`${connectFrame(t.token, `x-long:${big(100 * KiB)}\n`)}\n\0`)],
    errors: ['header-too-long', 'frame-too-large'],
  }),
  attack('a 100 KiB header line after CONNECT', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId, `x-long:${big(100 * KiB)}\n`)}\n{"content":"x"}\0`)],
    errors: ['header-too-long', 'frame-too-large'],
  }),
  attack('an undefined escape (\\t) in a header', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId, 'x-bad:a\\tb\n')}\n{"content":"x"}\0`)],
    errors: ['invalid-escape'],
  }),
  attack('a header ending in a lone backslash', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId, 'x-bad:abc\\\n')}\n{"content":"x"}\0`)],
    errors: ['invalid-escape'],
  }),
  attack('content-length shorter than the body', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId, 'receipt:short\ncontent-length:5\n')}\n{"content":"short"}\0`)],
    errors: ['malformed-frame'],
  }),
  attack('a content-length that is not a number', {
    afterConnect: true,
    payload: (t) => [Buffer.from(`${sendHead(t.roomId, 'content-length:-1\n')}\n{"content":"x"}\0`)],
    errors: ['invalid-content-length'],
  }),
  noNul(),
  longContentLength(),
]
