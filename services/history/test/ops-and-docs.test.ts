import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createChatStore, type ChatStore } from '@chat/store'
import { openPostgresDatabase } from '@chat/store/postgres'
import { Harness, errorOf, testServers, type Reply, type TestUser } from './harness.js'

// The operator's surface (`/docs`, `/docs/json`, `/metrics`, `/healthz`, `/readyz`) and what a client sees when
// something breaks inside: 5xx bodies carry a CHAT code and a fixed message, never a stack, SQL or an address.

/** SPEC section 3, every route: [method, OpenAPI path, success status, request body?, bearer?] */
const ROUTES: ReadonlyArray<readonly [string, string, string, boolean, boolean]> = [
  ['post', '/api/auth/register', '201', true, false],
  ['post', '/api/auth/login', '200', true, false],
  ['post', '/api/auth/refresh', '200', true, false],
  ['post', '/api/auth/logout', '204', false, true],
  ['get', '/api/me', '200', false, true],
  ['post', '/api/rooms', '201', true, true],
  ['get', '/api/rooms', '200', false, true],
  ['post', '/api/rooms/{roomId}/members', '204', true, true],
  ['post', '/api/rooms/{roomId}/join', '204', false, true],
  ['post', '/api/rooms/{roomId}/leave', '204', false, true],
  ['get', '/api/rooms/{roomId}/messages', '200', false, true],
  ['post', '/api/rooms/{roomId}/messages', '202', true, true],
  ['post', '/api/rooms/{roomId}/read', '204', true, true],
  ['get', '/api/me/unread', '200', false, true],
  ['get', '/api/rooms/{roomId}/presence', '200', false, true],
  ['get', '/api/users/{userId}/presence', '200', false, true],
]

interface Schema { type?: string, properties?: Record<string, Schema>, required?: string[], items?: Schema, anyOf?: Schema[], pattern?: string, maximum?: number, minimum?: number }
interface Parameter { in: string, name: string, required?: boolean, schema: Schema }
interface Operation {
  requestBody?: { required?: boolean, content: Record<string, { schema: Schema }> }
  parameters?: Parameter[]
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>
  security?: unknown[]
  tags?: string[]
}
type OpenApi = { openapi: string, paths: Record<string, Record<string, Operation>>, components: { securitySchemes: Record<string, unknown> } }

/** The error body must be exactly `{statusCode, code, message}` and say nothing about internals. */
function assertNoInternals (res: Reply): void {
  assert.doesNotMatch(res.text, /\bat\s+\S+\s+\(|node:internal|\.ts:\d+|\.js:\d+|SELECT|INSERT|UPDATE|DELETE|FROM\s|ECONNREFUSED|127\.0\.0\.1|postgres|STORE_ERR|stack/i, res.text)
}

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history ops and docs: PostgreSQL or Redis does not answer')
} else {
  describe('docs, ops endpoints and 5xx bodies', () => {
    let h: Harness
    let alice: TestUser
    let doc: OpenApi

    before(async () => {
      h = await Harness.start(servers, { tag: 'ops' })
      alice = await h.user('alice')
      const res = await h.api.get('/docs/json')
      assert.equal(res.status, 200)
      doc = res.json as OpenApi
    })
    after(async () => { await h?.close() })

    describe('OpenAPI', () => {
      it('lists every route of SPEC section 3, and no other under /api', () => {
        assert.match(doc.openapi, /^3\./)
        const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).filter((r) => r.includes(' /api/')).sort()
        assert.deepEqual(listed, ROUTES.map(([m, p]) => `${m} ${p}`).sort())
      })

      it('gives each route its success response schema, its request body schema and its security', () => {
        assert.ok(doc.components.securitySchemes.bearer !== undefined)
        for (const [method, path, status, hasBody, bearer] of ROUTES) {
          const op = doc.paths[path]?.[method]
          assert.ok(op !== undefined, `${method} ${path}`)
          assert.ok(op.responses[status] !== undefined, `${method} ${path}: ${status}`)
          if (status !== '204') assert.ok(op.responses[status]?.content?.['application/json']?.schema !== undefined, `${method} ${path}: ${status} schema`)
          const error = op.responses['400'] ?? op.responses['401']
          assert.deepEqual(error?.content?.['application/json']?.schema.required, ['statusCode', 'code', 'message'], `${method} ${path}: error body`)
          if (hasBody) {
            assert.equal(op.requestBody?.required, true, `${method} ${path}: body required`)
            assert.ok(op.requestBody?.content['application/json']?.schema !== undefined, `${method} ${path}: body schema`)
          } else {
            assert.equal(op.requestBody, undefined, `${method} ${path}: no body`)
          }
          assert.equal(op.security !== undefined, bearer, `${method} ${path}: security`)
          for (const name of path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) {
            const param: Parameter | undefined = op.parameters?.find((p) => p.in === 'path' && p.name === name)
            assert.equal(param?.required, true, `${method} ${path}: path parameter ${name}`)
            assert.ok(param?.schema.pattern?.includes('[0-9a-fA-F]{8}'), `${method} ${path}: ${name} is a UUID`)
          }
        }
      })

      it('spells out the bodies, the query parameters and the message schema', () => {
        const props = (path: string, method: string): string[] =>
          Object.keys(doc.paths[path]?.[method]?.requestBody?.content['application/json']?.schema.properties ?? {}).sort()
        assert.deepEqual(props('/api/auth/register', 'post'), ['password', 'username'])
        assert.deepEqual(props('/api/auth/login', 'post'), ['deviceId', 'password', 'username'])
        assert.deepEqual(props('/api/auth/refresh', 'post'), ['refreshToken'])
        assert.deepEqual(props('/api/rooms', 'post'), ['name', 'visibility'])
        assert.deepEqual(props('/api/rooms/{roomId}/messages', 'post'), ['clientMsgId', 'content', 'type'])
        assert.deepEqual(props('/api/rooms/{roomId}/read', 'post'), ['seq'])
        const members = doc.paths['/api/rooms/{roomId}/members']?.post?.requestBody?.content['application/json']?.schema
        assert.deepEqual(members?.anyOf?.map((s) => Object.keys(s.properties ?? {})), [['userId'], ['username']])
        const query = (path: string): string[] => (doc.paths[path]?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort()
        assert.deepEqual(query('/api/rooms/{roomId}/messages'), ['after', 'before', 'limit'])
        assert.deepEqual(query('/api/rooms'), ['scope'])
        const limit = doc.paths['/api/rooms/{roomId}/messages']?.get?.parameters?.find((p) => p.name === 'limit')
        assert.equal(limit?.schema.maximum, 100)
        assert.equal(limit?.schema.minimum, 1)
        const page = doc.paths['/api/rooms/{roomId}/messages']?.get?.responses['200']?.content?.['application/json']?.schema
        assert.deepEqual(Object.keys(page?.properties ?? {}).sort(), ['hasMore', 'messages'])
        assert.deepEqual(Object.keys(page?.properties?.messages?.items?.properties ?? {}).sort(),
          ['clientMsgId', 'content', 'id', 'roomId', 'senderId', 'senderName', 'sentAt', 'seq', 'type'])
      })

      it('/docs answers an HTML page (Swagger UI) that loads the document', async () => {
        const res = await h.api.get('/docs')
        assert.equal(res.status, 200)
        assert.match(String(res.headers['content-type']), /^text\/html/)
        assert.match(res.text, /swagger-ui/i)
        const css = await h.api.get('/docs/static/swagger-ui.css')
        assert.equal(css.status, 200)
      })
    })

    describe('ops endpoints', () => {
      it('/healthz 200, /readyz 200 with its checks, /metrics Prometheus text', async () => {
        assert.deepEqual((await h.api.get('/healthz')).json, { status: 'ok' })
        const ready = await h.api.get('/readyz')
        assert.equal(ready.status, 200)
        assert.deepEqual(ready.json, { status: 'ready', checks: { database: true, bus: true } })
        const metrics = await h.api.get('/metrics')
        assert.equal(metrics.status, 200)
        assert.match(String(metrics.headers['content-type']), /^text\/plain/)
        assert.match(metrics.text, /^# HELP process_cpu_user_seconds_total/m)
        assert.match(metrics.text, /^nodejs_eventloop_lag_seconds /m)
      })

      it('an unknown path outside /api is a 404 in the API\'s error format', async () => {
        const res = await h.api.get('/nothing-here')
        assert.equal(res.status, 404)
        assert.equal(errorOf(res).code, 'CHAT_NOT_FOUND')
      })
    })

    describe('when the database is gone', () => {
      it('an unreachable database: 503 CHAT_UNAVAILABLE with no internals, and /readyz 503', async () => {
        // A store on a port nothing listens on: every statement fails to connect (postgres.js ECONNREFUSED).
        const database = await openPostgresDatabase({ url: 'postgres://postgres@127.0.0.1:1/nowhere', connectTimeoutMs: 500 })
        const store = createChatStore(database)
        try {
          const { api } = await h.otherApp({ store })
          const roomId = '01900000-0000-7000-8000-000000000001'
          const cases: Array<Promise<Reply>> = [
            api.get('/api/rooms', { token: alice }),
            api.get('/api/me/unread', { token: alice }),
            api.get(`/api/rooms/${roomId}/messages`, { token: alice }),
            api.post('/api/rooms', { token: alice, body: { name: 'x' } }),
            api.post('/api/auth/register', { body: { username: 'newcomer', password: 'password-1' } }),
            api.post('/api/auth/refresh', { body: { refreshToken: alice.refreshToken } }),
          ]
          for (const res of await Promise.all(cases)) {
            assert.equal(res.status, 503, res.text)
            assert.deepEqual(errorOf(res), { statusCode: 503, code: 'CHAT_UNAVAILABLE', message: 'a dependency is unavailable; retry later' })
            assertNoInternals(res)
          }
          const ready = await api.get('/readyz')
          assert.equal(ready.status, 503)
          assert.deepEqual(ready.json, { status: 'not-ready', checks: { database: false, bus: true } })
        } finally {
          await store.close()
        }
      })

      it('a closed database: 500 {statusCode, code: CHAT_INTERNAL, message: internal error}, and /readyz 503', async () => {
        // A second store on this file's database, then closed: calls reject with StoreError STORE_ERR_CLOSED.
        const store = await openStoreOnSameDatabase(h)
        await store.close()
        const { api } = await h.otherApp({ store })
        for (const res of [await api.get('/api/rooms', { token: alice }), await api.post('/api/rooms', { token: alice, body: { name: 'x' } })]) {
          assert.equal(res.status, 500)
          assert.deepEqual(res.json, { statusCode: 500, code: 'CHAT_INTERNAL', message: 'internal error' })
          assertNoInternals(res)
        }
        const ready = await api.get('/readyz')
        assert.equal(ready.status, 503)
        assert.equal((ready.json as { checks: { database: boolean } }).checks.database, false)
        // /healthz still says the process is alive.
        assert.equal((await api.get('/healthz')).status, 200)
      })

      it('an unexpected error carrying SQL and a stack is answered 500 with the fixed body only', async () => {
        const leaky = new Error('syntax error at or near "DROP" in SELECT * FROM users WHERE password_hash = \'scrypt$…\'')
        Object.assign(leaky, { code: '42601', detail: 'password_hash=scrypt$32768$8$1$…', query: 'SELECT * FROM users' })
        const store: ChatStore = {
          ...h.store,
          rooms: new Proxy(h.store.rooms, {
            get (target, prop) {
              if (prop === 'listMine') return async () => { throw leaky }
              const value: unknown = Reflect.get(target, prop, target)
              return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
            },
          }),
        }
        const { api } = await h.otherApp({ store })
        const res = await api.get('/api/rooms', { token: alice })
        assert.equal(res.status, 500)
        assert.deepEqual(res.json, { statusCode: 500, code: 'CHAT_INTERNAL', message: 'internal error' })
        assertNoInternals(res)
        assert.doesNotMatch(res.text, /42601|password_hash|scrypt/)
      })
    })
  })
}

/** A second ChatStore on the harness's database (its own pool), for closing without touching the harness's. */
async function openStoreOnSameDatabase (h: Harness): Promise<ChatStore> {
  const rows = await h.database.client.query<{ name: string }>('SELECT current_database() AS name')
  const url = new URL(h.servers.databaseUrl)
  url.pathname = `/${rows[0]?.name ?? ''}`
  return createChatStore(await openPostgresDatabase({ url: url.toString(), connectTimeoutMs: 2_000 }))
}
