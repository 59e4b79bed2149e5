import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ChatApi, RawStompClient, startService, waitFor } from '@chat/testing'

// `npm start` with nothing external (issue #6): the embedded adapters serve the page, the API and /ws,
// and a message sent before a restart of the process is in the history after it (PGlite keeps its data).
// The test clears the three server URLs so nothing external is used, whatever the environment says.

const bare = { DATABASE_URL: '', RABBITMQ_URL: '', REDIS_URL: '' }

test('the embedded all-in-one serves the page, the API, the docs and /ws, and keeps messages across a restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'chat-aio-'))
  t.after(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const env = { ...bare, CHAT_DATA_DIR: join(dataDir, 'fresh', '.data'), JWT_SECRET: randomBytes(32).toString('base64url') }

  // 1. First start: register, create a room, send over STOMP and over REST.
  const first = await startService('all-in-one', env, { readyTimeoutMs: 60_000 })
  t.after(async () => { await first.stop() })
  const page = await fetch(`${first.url}/`)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /<html/i)
  assert.equal((await fetch(`${first.url}/docs/json`)).status, 200)
  assert.equal((await fetch(`${first.url}/metrics`)).status, 200)
  const api = new ChatApi(first.url)
  const alice = await api.user('alice-restart')
  const room = await api.createRoom(alice, 'kept')
  const stomp = await RawStompClient.connect(first.wsUrl, alice.accessToken)
  stomp.send({ command: 'SEND', headers: { destination: `/app/rooms.${room}`, receipt: 'r' }, body: JSON.stringify({ content: 'said over STOMP', clientMsgId: 'a-1' }) })
  await stomp.next((f) => f.headers['receipt-id'] === 'r')
  stomp.close()
  const sent = await api.request('POST', `/api/rooms/${room}/messages`, { content: 'said over REST', clientMsgId: 'a-2' }, alice.accessToken)
  assert.equal(sent.status, 202)
  await waitFor(async () => (await api.ok<{ messages: unknown[] }>('GET', `/api/rooms/${room}/messages`, undefined, alice.accessToken)).messages.length === 2, { what: 'both stored' })
  await first.stop()
  assert.equal(first.exitCode, 0, 'a clean exit on SIGTERM')

  // 2. Second start on the same data: the history is there.
  const second = await startService('all-in-one', env, { readyTimeoutMs: 60_000 })
  t.after(async () => { await second.stop() })
  const again = new ChatApi(second.url)
  const back = await again.user('alice-restart')
  const history = await again.ok<{ messages: Array<{ content: string, seq: number }> }>('GET', `/api/rooms/${room}/messages`, undefined, back.accessToken)
  assert.deepEqual(history.messages.map((m) => [m.seq, m.content]), [[1, 'said over STOMP'], [2, 'said over REST']])
})
