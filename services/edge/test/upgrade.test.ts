import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { RawStompClient } from '@chat/testing'
import { EdgeStack } from './harness.js'

// At the upgrade: the Origin allowlist, the per-instance connection cap, subprotocols; and plain HTTP
// requests that carry `Upgrade: h2c` served as HTTP/1.1.

const stack = await EdgeStack.start({ ALLOWED_ORIGINS: 'https://chat.example.com,http://localhost:3000', EDGE_MAX_CONNECTIONS: '5' })
const skip = stack === undefined
after(async () => { await stack?.close() })

async function refusedWith (origin: string | undefined): Promise<number | undefined> {
  try {
    const c = await RawStompClient.open((stack as EdgeStack).wsUrl, origin === undefined ? {} : { headers: { origin } })
    c.close()
    return undefined
  } catch (err) {
    return (err as { statusCode?: number }).statusCode
  }
}

test('no Origin (not a browser), the same origin and allowed origins may open /ws', { skip }, async () => {
  const s = stack as EdgeStack
  assert.equal(await refusedWith(undefined), undefined)
  assert.equal(await refusedWith(s.httpUrl), undefined)
  assert.equal(await refusedWith('https://chat.example.com'), undefined)
  assert.equal(await refusedWith('http://localhost:3000'), undefined)
})

test('a foreign browser origin gets 403, look-alikes included', { skip }, async () => {
  const s = stack as EdgeStack
  const port = new URL(s.httpUrl).port
  for (const origin of [
    'https://evil.example.net',
    'https://chat.example.com.evil.net',
    'https://evilchat.example.com',
    'http://chat.example.com',
    'https://chat.example.com:8443',
    `http://127.0.0.1.evil.net:${port}`,
    `http://localhost:${port}`,
    'null',
    'not a url',
  ]) {
    assert.equal(await refusedWith(origin), 403, origin)
  }
})

test('past the connection cap the upgrade is answered 503 with Retry-After', { skip }, async () => {
  const s = stack as EdgeStack
  const open = await Promise.all(Array.from({ length: 5 }, async () => await RawStompClient.open(s.wsUrl)))
  try {
    await RawStompClient.open(s.wsUrl)
    assert.fail('the sixth connection should be refused')
  } catch (err) {
    const e = err as { statusCode?: number, headers?: Record<string, string> }
    assert.equal(e.statusCode, 503)
    assert.match(e.headers?.['retry-after'] ?? '', /^\d+$/)
  } finally {
    for (const c of open) c.close()
  }
  // Room again once sockets closed.
  for (let i = 0; i < 50; i++) {
    if (s.hub.socketCount < 5) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const again = await RawStompClient.open(s.wsUrl)
  again.close()
})

test('a client offering no subprotocol is accepted without one', { skip }, async () => {
  const c = await RawStompClient.open((stack as EdgeStack).wsUrl, { protocols: [] })
  assert.equal(c.ws.protocol, '')
  c.close()
})

function get (url: string, headers: Record<string, string>, body?: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      let data = ''
      res.on('data', (c: Buffer) => { data += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

test('a request carrying Upgrade: h2c (Java HttpClient) is served as HTTP/1.1', { skip }, async () => {
  const s = stack as EdgeStack
  const h2c = { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQCAAAAAAIAAAAA' }
  const health = await get(`${s.httpUrl}/healthz`, h2c)
  assert.equal(health.status, 200)
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' })
  const missing = await get(`${s.httpUrl}/nope`, { ...h2c, 'content-type': 'application/json' }, '{"a":1}')
  assert.equal(missing.status, 404)
})
