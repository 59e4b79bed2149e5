import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Harness, errorOf, rawRequest, scanKeys, testServers, type Reply, type TestUser } from './harness.js'

// Hostile input: every body and query is checked by a schema (no coercion of JSON bodies, no unknown fields), ids
// in paths must be UUIDs, bodies are bounded, and text that means something to SQL or Redis is stored verbatim
// or refused, never executed.

const servers = await testServers()

/** Text that means something to SQL, Redis (inline protocol and globs), shells, HTML and format strings. */
const HOSTILE = [
  "'; DROP TABLE users; --",
  "Robert'); DROP TABLE messages;--",
  '" OR "1"="1',
  '1; DELETE FROM rooms WHERE true',
  '$1 $2 ::uuid',
  '*',
  '?',
  '[a-z]*',
  '\r\nFLUSHALL\r\n',
  '*1\r\n$8\r\nFLUSHALL\r\n',
  'KEYS *',
  '{}',
  '{"$ne": null}',
  '%s%s%s%n',
  // eslint-disable-next-line no-template-curly-in-string -- the literal text is the point
  '${process.env}',
  '`rm -rf /`',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'back\\slash',
  'emoji 🎉 and 中文 and RTL \u202e',
  '   padded   ',
]

if (servers === undefined) {
  await it.skip('history validation: PostgreSQL or Redis does not answer')
} else {
  describe('validation and hostile input', () => {
    let h: Harness
    let alice: TestUser
    let roomId: string

    before(async () => {
      h = await Harness.start(servers, { tag: 'validation', dispatcher: true, env: { LOGIN_RATE: '1000' } })
      alice = await h.user('alice')
      roomId = await h.room(alice, 'target')
    })
    after(async () => { await h?.close() })

    function assertBadRequest (res: Reply, what: string): void {
      assert.equal(res.status, 400, `${what}: ${res.text}`)
      assert.equal(errorOf(res).code, 'CHAT_BAD_REQUEST', what)
    }

    describe('bodies', () => {
      it('refuses wrong types: no coercion of JSON bodies', async () => {
        const cases: Array<[string, string, unknown]> = [
          ['read', `/api/rooms/${roomId}/read`, { seq: '5' }],
          ['read', `/api/rooms/${roomId}/read`, { seq: true }],
          ['read', `/api/rooms/${roomId}/read`, { seq: null }],
          ['read', `/api/rooms/${roomId}/read`, { seq: [5] }],
          ['read', `/api/rooms/${roomId}/read`, { seq: 5.5 }],
          ['send', `/api/rooms/${roomId}/messages`, { content: 5 }],
          ['send', `/api/rooms/${roomId}/messages`, { content: ['hi'] }],
          ['send', `/api/rooms/${roomId}/messages`, { content: { text: 'hi' } }],
          ['send', `/api/rooms/${roomId}/messages`, { content: 'hi', clientMsgId: 5 }],
          ['create', '/api/rooms', { name: 5 }],
          ['create', '/api/rooms', { name: 'x', visibility: 'secret' }],
          ['create', '/api/rooms', { name: 'x', visibility: true }],
          ['members', `/api/rooms/${roomId}/members`, { userId: 5 }],
        ]
        for (const [what, url, body] of cases) assertBadRequest(await h.api.post(url, { token: alice, body }), `${what} ${JSON.stringify(body)}`)
        // Not a JSON object at all.
        for (const body of [null, [], 'text', 5, true]) {
          assertBadRequest(await h.api.post(`/api/rooms/${roomId}/read`, { token: alice, body }), `read ${JSON.stringify(body)}`)
        }
      })

      it('refuses unknown fields (nobody sends as someone else, or picks an id)', async () => {
        const cases: Array<[string, unknown]> = [
          [`/api/rooms/${roomId}/messages`, { content: 'hi', senderId: '01900000-0000-7000-8000-000000000001' }],
          [`/api/rooms/${roomId}/messages`, { content: 'hi', senderName: 'admin' }],
          [`/api/rooms/${roomId}/messages`, { content: 'hi', seq: 1 }],
          [`/api/rooms/${roomId}/read`, { seq: 1, userId: alice.userId }],
          ['/api/rooms', { name: 'x', id: '01900000-0000-7000-8000-000000000001' }],
          ['/api/rooms', { name: 'x', createdBy: alice.userId }],
          ['/api/auth/register', { username: 'mallory', password: 'password-1', isAdmin: true }],
        ]
        for (const [url, body] of cases) assertBadRequest(await h.api.post(url, { token: alice, body }), `${url} ${JSON.stringify(body)}`)
      })

      it('refuses missing fields and empty strings', async () => {
        const cases: Array<[string, unknown]> = [
          [`/api/rooms/${roomId}/messages`, {}],
          [`/api/rooms/${roomId}/messages`, { content: '' }],
          [`/api/rooms/${roomId}/messages`, { clientMsgId: 'x' }],
          [`/api/rooms/${roomId}/read`, {}],
          ['/api/rooms', {}],
          ['/api/rooms', { name: '' }],
          ['/api/rooms', { visibility: 'public' }],
          [`/api/rooms/${roomId}/members`, {}],
        ]
        for (const [url, body] of cases) assertBadRequest(await h.api.post(url, { token: alice, body }), `${url} ${JSON.stringify(body)}`)
      })

      it('refuses strings over their limits, and U+0000 (PostgreSQL text cannot hold it)', async () => {
        assertBadRequest(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x'.repeat(8001) } }), 'content 8001')
        assertBadRequest(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'é'.repeat(8001) } }), 'content 8001 (2-byte)')
        assertBadRequest(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'a\u0000b' } }), 'content NUL')
        assertBadRequest(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x', clientMsgId: 'c'.repeat(65) } }), 'clientMsgId 65')
        assertBadRequest(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x', clientMsgId: 'has space' } }), 'clientMsgId pattern')
        assertBadRequest(await h.api.post('/api/rooms', { token: alice, body: { name: 'n'.repeat(101) } }), 'name 101')
        assertBadRequest(await h.api.post('/api/rooms', { token: alice, body: { name: 'a\u0000' } }), 'name NUL')
        assertBadRequest(await h.api.post('/api/auth/login', { body: { username: 'u'.repeat(33), password: 'password-1' } }), 'login username 33')
        assertBadRequest(await h.api.post('/api/auth/login', { body: { username: 'alice\u0000', password: 'password-1' } }), 'login username NUL')
        assertBadRequest(await h.api.post('/api/auth/login', { body: { username: 'alice', password: 'p'.repeat(257) } }), 'login password 257')
        // At the limits: accepted.
        const max = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: '€'.repeat(8000), clientMsgId: 'c'.repeat(64) } })
        assert.equal(max.status, 202, max.text)
        assert.equal((await h.api.post('/api/rooms', { token: alice, body: { name: 'n'.repeat(100) } })).status, 201)
      })

      it('refuses non-JSON and malformed JSON with 400, other media types with 415, all with a CHAT code', async () => {
        const url = `/api/rooms/${roomId}/messages`
        for (const payload of ['{"content": "hi"', '{content: "hi"}', "{'content': 'hi'}", 'content=hi', '', '{"content": "hi"}}']) {
          assertBadRequest(await h.api.post(url, { token: alice, payload, contentType: 'application/json' }), `payload ${JSON.stringify(payload)}`)
        }
        // text/plain is parsed as a string, which is no object: 400.
        assertBadRequest(await h.api.post(url, { token: alice, payload: '{"content":"hi"}', contentType: 'text/plain' }), 'text/plain')
        for (const contentType of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
          const res = await h.api.post(url, { token: alice, payload: 'content=hi', contentType })
          assert.equal(res.status, 415, `${contentType}: ${res.text}`)
          assert.match(errorOf(res).code, /^CHAT_/)
        }
        // No content type at all on a route with a body.
        const none = await h.api.post(url, { token: alice, payload: '{"content":"hi"}' })
        assert.ok(none.status === 415 || none.status === 400, none.text)
        assert.match(errorOf(none).code, /^CHAT_/)
      })

      it('refuses prototype poisoning in JSON bodies', async () => {
        for (const payload of ['{"content":"hi","__proto__":{"isAdmin":true}}', '{"content":"hi","constructor":{"prototype":{"isAdmin":true}}}']) {
          const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, payload, contentType: 'application/json' })
          assertBadRequest(res, payload)
        }
        assert.equal(({} as Record<string, unknown>).isAdmin, undefined)
      })

      it('answers 413 CHAT_PAYLOAD_TOO_LARGE for a body over 64 KiB', async () => {
        const body = { content: 'x'.repeat(70 * 1024) }
        const res = await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body })
        assert.equal(res.status, 413)
        assert.equal(errorOf(res).code, 'CHAT_PAYLOAD_TOO_LARGE')
        const reg = await h.api.post('/api/auth/register', { body: { username: 'big', password: 'p'.repeat(100 * 1024) } })
        assert.equal(reg.status, 413)
        assert.equal(errorOf(reg).code, 'CHAT_PAYLOAD_TOO_LARGE')
        // Under the limit but over the content limit: 400 (the schema), not 413.
        assertBadRequest(await h.api.post(`/api/rooms/${roomId}/messages`, { token: alice, body: { content: 'x'.repeat(60 * 1024) } }), '60 KiB content')
      })
    })

    describe('queries and params', () => {
      it('refuses bad query strings', async () => {
        const url = `/api/rooms/${roomId}/messages`
        for (const q of ['before=abc', 'before=-1', 'before=1.5', 'before=2147483648', 'before=1e999', 'after=NaN', 'limit=0', 'limit=101', 'limit=1000000',
          'before=1&after=2', 'before=1&before=2', 'foo=1', 'before=1;DROP TABLE messages', 'limit=50%27%20OR%201=1']) {
          assertBadRequest(await h.api.get(`${url}?${q}`, { token: alice }), q)
        }
        assertBadRequest(await h.api.get('/api/rooms?scope=mine&extra=1', { token: alice }), 'rooms extra')
        assertBadRequest(await h.api.get('/api/rooms?scope=*', { token: alice }), 'rooms scope *')
      })

      describe('over a real socket (paths byte for byte)', () => {
        let port: number
        let auth: Record<string, string>

        before(async () => {
          const { app } = await h.otherApp()
          await app.listen({ host: '127.0.0.1', port: 0 })
          const address = app.server.address()
          port = typeof address === 'object' && address !== null ? address.port : 0
          auth = { authorization: `Bearer ${alice.accessToken}` }
        })

        it('refuses ids that are not UUIDs with 400: traversal, encodings, SQL', async () => {
          const ids = ['not-a-uuid', '..', '%2e%2e', '%2E%2E', '.%2e', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%5C..%5Cwindows',
            '..%252f..%252fetc%252fpasswd', "1'%20OR%20'1'='1", '%27%3B%20DROP%20TABLE%20rooms%3B--', '*', '%00', '%0d%0aFLUSHALL%0d%0a',
            '01900000-0000-7000-8000-00000000000', '01900000-0000-7000-8000-0000000000000', '%7B%7D', '01900000_0000_7000_8000_000000000000']
          for (const id of ids) {
            for (const [method, path] of [
              ['GET', `/api/rooms/${id}/messages`], ['POST', `/api/rooms/${id}/join`], ['POST', `/api/rooms/${id}/leave`],
              ['GET', `/api/rooms/${id}/presence`], ['GET', `/api/users/${id}/presence`],
            ] as const) {
              assertBadRequest(await rawRequest(port, method, path, auth), `${method} ${path}`)
            }
            const send = await rawRequest(port, 'POST', `/api/rooms/${id}/messages`, { ...auth, 'content-type': 'application/json' }, '{"content":"x"}')
            assertBadRequest(send, `send ${id}`)
          }
        })

        it('answers traversal out of /api and unknown paths with 404 CHAT_NOT_FOUND, never a file', async () => {
          for (const path of ['/api/rooms/../../etc/passwd', '/api/../../etc/passwd', '/../../etc/passwd', '/api/%2e%2e/%2e%2e/etc/passwd',
            '/docs/../../../etc/passwd', '/docs/static/..%2f..%2f..%2f..%2fetc%2fpasswd', '/api/rooms/x/y/z', '/api/nothing', '/nothing']) {
            const res = await rawRequest(port, 'GET', path, auth)
            assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status} ${res.text}`)
            assert.match(errorOf(res).code, /^CHAT_(NOT_FOUND|BAD_REQUEST)$/, path)
            assert.doesNotMatch(res.text, /root:|\/bin\/(ba)?sh/, path)
          }
        })

        it('answers a malformed URL or an overlong id with 400 CHAT_BAD_REQUEST, without echoing it', async () => {
          for (const path of ['/api/rooms/%zz/messages', '/api/rooms/%E0%A4%A/messages', `/api/rooms/${'a'.repeat(500)}/messages`]) {
            const res = await rawRequest(port, 'GET', path, auth)
            assertBadRequest(res, path)
            assert.ok(!res.text.includes('%zz') && !res.text.includes('aaaa'), res.text)
          }
        })
      })
    })

    describe('SQL and Redis meta-characters', () => {
      it('stores room names and message contents verbatim and returns them unchanged', async () => {
        const created: Array<{ id: string, name: string }> = []
        for (const name of HOSTILE) {
          const res = await h.api.post('/api/rooms', { token: alice, body: { name } })
          assert.equal(res.status, 201, `${JSON.stringify(name)}: ${res.text}`)
          const room = res.json as { id: string, name: string }
          assert.equal(room.name, name)
          created.push(room)
        }
        const listed = (await h.api.get('/api/rooms', { token: alice })).json as Array<{ id: string, name: string }>
        for (const room of created) assert.equal(listed.find((r) => r.id === room.id)?.name, room.name)

        const sendRoom = await h.room(alice, 'contents')
        for (const [i, content] of HOSTILE.entries()) {
          const res = await h.api.post(`/api/rooms/${sendRoom}/messages`, { token: alice, body: { content, clientMsgId: `h-${i}` } })
          assert.equal(res.status, 202, `${JSON.stringify(content)}: ${res.text}`)
        }
        await h.storedUpTo(sendRoom, HOSTILE.length)
        const page = (await h.api.get(`/api/rooms/${sendRoom}/messages?limit=100`, { token: alice })).json as { messages: Array<{ content: string }> }
        assert.deepEqual(page.messages.map((m) => m.content), HOSTILE)
      })

      it('refuses them in usernames (by pattern), and a login with them is a plain 401', async () => {
        for (const username of HOSTILE) {
          assertBadRequest(await h.api.post('/api/auth/register', { body: { username, password: 'password-1' } }), `register ${JSON.stringify(username)}`)
          if (username.length <= 32 && username.length > 0) {
            const res = await h.api.post('/api/auth/login', { body: { username, password: "' OR '1'='1" } })
            assert.equal(res.status, 401, `login ${JSON.stringify(username)}: ${res.text}`)
            assert.equal(errorOf(res).code, 'CHAT_INVALID_CREDENTIALS')
          }
          assert.equal((await h.api.post(`/api/rooms/${roomId}/members`, { token: alice, body: { username } })).status, 400)
        }
      })

      it('executed nothing: every table, row and Redis key is still there', async () => {
        const tables = await h.database.client.query<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
        assert.deepEqual(tables.map((t) => t.name), ['devices', 'messages', 'refresh_families', 'refresh_tokens', 'room_members', 'rooms', 'users'])
        const [counts] = await h.database.client.query<{ users: number, rooms: number, messages: number }>(
          'SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM rooms) AS rooms, (SELECT count(*)::int FROM messages) AS messages')
        assert.equal(counts?.users, 1)
        assert.ok((counts?.rooms ?? 0) >= HOSTILE.length + 2)
        assert.ok((counts?.messages ?? 0) >= HOSTILE.length)
        // The token version written at login and the login counters (keys with '*' and CRLF in them) survive.
        assert.equal(await h.admin.get(`${h.prefix}tokens:ver:${alice.dev}`), String(alice.ver))
        const keys = await scanKeys(h.admin, `${h.prefix}*`)
        assert.ok(keys.some((k) => k.includes('login:user:*')), 'a counter named with a literal *')
        assert.ok(keys.some((k) => k.includes('\r\nflushall\r\n')), 'a counter named with CRLF, verbatim')
        assert.equal((await h.api.get('/api/me', { token: alice })).status, 200)
      })
    })
  })
}
