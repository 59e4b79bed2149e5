import { Redis } from 'ioredis'
import postgres from 'postgres'
import { waitFor } from '@chat/testing'
import { check, type Check, type ChaosCase } from '../chaos-case.js'
import { leakIn, rawHttp, type HttpAnswer, type RawRequest } from './attack-http.js'

/** Legitimate text full of SQL, shell, template and Redis protocol meta-characters: stored and returned verbatim. */
const META = [
  '\'; DROP TABLE messages; --',
  '" OR "1"="1',
  '1; DELETE FROM rooms WHERE 1=1',
  '\' UNION SELECT password_hash FROM users --',
  '\r\nFLUSHALL\r\n',
  '*3\r\n$8\r\nFLUSHALL\r\n',
  'EVAL "return redis.call(\'FLUSHALL\')" 0',
  '*',
  'KEYS *',
  '$(reboot)',
  '`id`',
  '${jndi:ldap://x/a}', // eslint-disable-line no-template-curly-in-string
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00%27\\x00\\',
  'emoji \u{1F642} and RTL \u202Eevil',
]

/** A malicious request and what must come back. */
interface Probe {
  readonly group: string
  readonly name: string
  readonly request: RawRequest
  /** Acceptable statuses (all 4xx); the body must carry a CHAT_ code (this one, when given). */
  readonly statuses: readonly number[]
  readonly code?: string
}

interface Outcome {
  readonly probe: Probe
  readonly answer: HttpAnswer
  readonly ok: boolean
  readonly why: string
}

function judge (probe: Probe, answer: HttpAnswer): Outcome {
  const leak = answer.status >= 400 ? leakIn(answer.body) : ''
  let why = ''
  if (!probe.statuses.includes(answer.status)) why = `status ${answer.status}, expected ${probe.statuses.join('/')}`
  else if (!answer.code.startsWith('CHAT_')) why = `no CHAT_ code (body ${answer.body.slice(0, 120)})`
  else if (probe.code !== undefined && answer.code !== probe.code) why = `code ${answer.code}, expected ${probe.code}`
  if (leak !== '') why += `${why === '' ? '' : '; '}body leaks '${leak}'`
  return { probe, answer, ok: why === '', why }
}

function nested (depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

async function redisKeys (url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  try {
    let n = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      n += keys.length
    } while (cursor !== '0')
    return n
  } finally {
    redis.disconnect()
  }
}

async function tableCounts (databaseUrl: string): Promise<Record<string, number>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<Array<Record<string, string>>>`
      SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM rooms) AS rooms,
             (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM room_members) AS members`
    return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]))
  } finally {
    await sql.end()
  }
}

/** #13: SQL and Redis meta-characters, oversize bodies, wrong types, unknown fields, path traversal in ids. */
export const rest: ChaosCase = {
  name: 'rest',
  number: 13,
  title: 'REST: SQL and Redis meta-characters, oversize bodies, wrong types, unknown fields, path traversal in ids',
  inSubset: true,
  timeoutMs: 120_000,
  async run (ctx) {
    const { deployment, api, databaseUrl } = await ctx.deploy({ edges: 0, dispatchers: 1 })
    const base = deployment.history.url
    const prefix = deployment.env.REDIS_PREFIX ?? ''
    const checks: Check[] = []
    const a = await api.user('rest_a')
    const b = await api.user('rest_b')
    const room = await api.createRoom(a, 'baseline')
    const bRoom = await api.createRoom(b, 'b-private', 'private')
    await api.ok('POST', `/api/rooms/${room}/messages`, { content: 'baseline message', clientMsgId: 'baseline-1' }, a.accessToken)
    await waitFor(async () => (await api.ok<{ messages: unknown[] }>('GET', `/api/rooms/${room}/messages`, undefined, a.accessToken)).messages.length >= 1, { timeoutMs: 15_000, what: 'the baseline message stored' })
    const countsBefore = await tableCounts(databaseUrl)
    const keysBefore = await redisKeys(ctx.servers.redisUrl, prefix)

    // 1. Meta-characters in legitimate content: room names and message contents are stored and read back verbatim.
    const roomNames = await Promise.all(META.map(async (name) => {
      const r = await rawHttp(base, { method: 'POST', path: '/api/rooms', token: a.accessToken, json: { name } })
      return { name, r, stored: r.status === 201 && (JSON.parse(r.body) as { name?: string }).name === name }
    }))
    const mine = await api.ok<Array<{ name: string }>>('GET', '/api/rooms', undefined, a.accessToken)
    const listed = roomNames.filter((x) => mine.some((m) => m.name === x.name)).length
    checks.push(check('room names with SQL/Redis/shell meta-characters: 201 and listed verbatim',
      roomNames.every((x) => x.stored) && listed === META.length,
      `${roomNames.filter((x) => x.stored).length} of ${META.length} created verbatim, ${listed} listed verbatim${roomNames.filter((x) => !x.stored).map((x) => `; ${JSON.stringify(x.name)} → ${x.r.status} ${x.r.code}`).join('')}`))
    const sends = await Promise.all(META.map(async (content, i) => await rawHttp(base, { method: 'POST', path: `/api/rooms/${room}/messages`, token: a.accessToken, json: { content, clientMsgId: `meta-${i}` } })))
    let stored: string[] = []
    await waitFor(async () => {
      const page = await api.ok<{ messages: Array<{ content: string, clientMsgId: string }> }>('GET', `/api/rooms/${room}/messages?limit=100`, undefined, a.accessToken)
      stored = page.messages.filter((m) => m.clientMsgId.startsWith('meta-')).map((m) => m.content)
      return stored.length >= META.length
    }, { timeoutMs: 15_000, what: 'meta messages stored' }).catch(() => {})
    const verbatim = META.filter((m) => stored.includes(m)).length
    checks.push(check('message contents with meta-characters: 202, stored and read back verbatim',
      sends.every((s) => s.status === 202) && verbatim === META.length,
      `${sends.filter((s) => s.status === 202).length} accepted, ${verbatim} of ${META.length} read back verbatim`))

    // 2. Everything else is refused with a 4xx and a CHAT_ code.
    const tok = a.accessToken
    // `null`: no Authorization header.
    const post = (path: string, json: unknown, token: string | null = tok): RawRequest => token === null ? { method: 'POST', path, json } : { method: 'POST', path, token, json }
    const postRaw = (path: string, raw: string | Buffer, contentType?: string): RawRequest => ({ method: 'POST', path, token: tok, raw, ...(contentType === undefined ? {} : { contentType }) })
    const get = (path: string, token: string | null = tok): RawRequest => token === null ? { method: 'GET', path } : { method: 'GET', path, token }
    const R = `/api/rooms/${room}`
    const bad = { statuses: [400], code: 'CHAT_BAD_REQUEST' } as const
    const big = (bytes: number): string => 'x'.repeat(bytes)
    const probes: Probe[] = [
      // SQL and Redis meta-characters where they are not legitimate (patterns, ids, numbers, credentials).
      { group: 'meta-characters', name: 'NUL in a room name', request: post('/api/rooms', { name: 'a\u0000b' }), ...bad },
      { group: 'meta-characters', name: 'NUL in a message', request: post(`${R}/messages`, { content: 'x\u0000y' }), ...bad },
      { group: 'meta-characters', name: 'NUL in a username (register)', request: post('/api/auth/register', { username: 'ab\u0000c', password: 'password-1' }, null), ...bad },
      { group: 'meta-characters', name: 'NUL in a username (login)', request: post('/api/auth/login', { username: 'rest_a\u0000', password: 'password-1' }, null), statuses: [400, 401] },
      { group: 'meta-characters', name: 'NUL in a refresh token', request: post('/api/auth/refresh', { refreshToken: 'abc\u0000def' }, null), statuses: [400, 401] },
      { group: 'meta-characters', name: 'NUL in a deviceId', request: post('/api/auth/login', { username: 'rest_a', password: 'password-1', deviceId: 'd\u0000' }, null), ...bad },
      { group: 'meta-characters', name: 'SQL in a username (register)', request: post('/api/auth/register', { username: 'admin\'--', password: 'password-1' }, null), ...bad },
      { group: 'meta-characters', name: 'SQL tautology as login', request: post('/api/auth/login', { username: '\' OR \'1\'=\'1', password: '\' OR \'1\'=\'1' }, null), statuses: [401], code: 'CHAT_INVALID_CREDENTIALS' },
      { group: 'meta-characters', name: 'SQL comment after a real username', request: post('/api/auth/login', { username: 'rest_a\'--', password: 'x' }, null), statuses: [401], code: 'CHAT_INVALID_CREDENTIALS' },
      { group: 'meta-characters', name: 'Redis glob as login', request: post('/api/auth/login', { username: '*', password: 'password-1' }, null), statuses: [401], code: 'CHAT_INVALID_CREDENTIALS' },
      { group: 'meta-characters', name: 'Redis protocol in a login username', request: post('/api/auth/login', { username: 'x\r\nFLUSHALL\r\n', password: 'password-1' }, null), statuses: [401], code: 'CHAT_INVALID_CREDENTIALS' },
      { group: 'meta-characters', name: 'SQL as refresh token', request: post('/api/auth/refresh', { refreshToken: '\' OR 1=1 --' }, null), statuses: [401], code: 'CHAT_REFRESH_INVALID' },
      { group: 'meta-characters', name: 'SQL as bearer token', request: get('/api/me', '\' OR 1=1 --'), statuses: [401] },
      { group: 'meta-characters', name: 'SQL in clientMsgId', request: post(`${R}/messages`, { content: 'x', clientMsgId: '\'; DROP TABLE messages; --' }), ...bad },
      { group: 'meta-characters', name: 'SQL in an added member\'s username', request: post(`${R}/members`, { username: 'x\' OR 1=1--' }), ...bad },
      { group: 'meta-characters', name: 'SQL in an added member\'s userId', request: post(`${R}/members`, { userId: '\' OR 1=1 --' }), ...bad },
      { group: 'meta-characters', name: 'SQL in scope', request: get('/api/rooms?scope=mine%27%20OR%201=1--'), ...bad },
      { group: 'meta-characters', name: 'SQL in before', request: get(`${R}/messages?before=1;DROP%20TABLE%20messages`), ...bad },
      { group: 'meta-characters', name: 'SQL in limit', request: get(`${R}/messages?limit=1%20OR%201=1`), ...bad },
      { group: 'meta-characters', name: 'Redis glob in a user id', request: get('/api/users/*/presence'), ...bad },
      // Oversize bodies (over 64 KiB) and over-long fields.
      { group: 'oversize', name: '100 KiB room name', request: post('/api/rooms', { name: big(100 * 1024) }), statuses: [413], code: 'CHAT_PAYLOAD_TOO_LARGE' },
      { group: 'oversize', name: '1 MiB message', request: post(`${R}/messages`, { content: big(1024 * 1024) }), statuses: [413], code: 'CHAT_PAYLOAD_TOO_LARGE' },
      { group: 'oversize', name: '70 KiB password at login', request: post('/api/auth/login', { username: 'rest_a', password: big(70 * 1024) }, null), statuses: [413], code: 'CHAT_PAYLOAD_TOO_LARGE' },
      { group: 'oversize', name: '5 MiB register', request: post('/api/auth/register', { username: 'abc', password: big(5 * 1024 * 1024) }, null), statuses: [413], code: 'CHAT_PAYLOAD_TOO_LARGE' },
      { group: 'oversize', name: '1 MiB chunked, no content-length', request: { method: 'POST', path: `${R}/messages`, token: tok, chunks: [Buffer.from('{"content":"'), ...Array.from({ length: 64 }, () => Buffer.alloc(16 * 1024, 0x78)), Buffer.from('"}')] }, statuses: [413], code: 'CHAT_PAYLOAD_TOO_LARGE' },
      { group: 'oversize', name: '8,001-character message (under 64 KiB)', request: post(`${R}/messages`, { content: big(8001) }), ...bad },
      { group: 'oversize', name: '101-character room name', request: post('/api/rooms', { name: big(101) }), ...bad },
      { group: 'oversize', name: '10,000-deep nested array', request: postRaw('/api/rooms', `{"name":${nested(10_000)}}`), statuses: [400] },
      { group: 'oversize', name: '5,000 keys', request: postRaw('/api/rooms', `{${Array.from({ length: 5000 }, (_, i) => `"k${i}":1`).join(',')},"name":"x"}`), ...bad },
      // Wrong types (no coercion of JSON bodies), missing and unknown fields, bodies that are not objects.
      ...([['number', 123], ['null', null], ['array', ['x']], ['object', {}], ['boolean', true]] as const).map(([t, v]): Probe => ({ group: 'wrong types', name: `room name as ${t}`, request: post('/api/rooms', { name: v }), ...bad })),
      { group: 'wrong types', name: 'unknown visibility', request: post('/api/rooms', { name: 'x', visibility: 'secret' }), ...bad },
      { group: 'wrong types', name: 'content as a number', request: post(`${R}/messages`, { content: 5 }), ...bad },
      { group: 'wrong types', name: 'empty content', request: post(`${R}/messages`, { content: '' }), ...bad },
      { group: 'wrong types', name: 'type ENTER from a client', request: post(`${R}/messages`, { content: 'x', type: 'ENTER' }), ...bad },
      { group: 'wrong types', name: 'seq as a string', request: post(`${R}/read`, { seq: '5' }), ...bad },
      { group: 'wrong types', name: 'negative seq', request: post(`${R}/read`, { seq: -1 }), ...bad },
      { group: 'wrong types', name: 'fractional seq', request: post(`${R}/read`, { seq: 1.5 }), ...bad },
      { group: 'wrong types', name: 'seq 1e309 (Infinity)', request: postRaw(`${R}/read`, '{"seq":1e309}'), ...bad },
      { group: 'wrong types', name: 'seq 2^31', request: post(`${R}/read`, { seq: 2 ** 31 }), ...bad },
      { group: 'wrong types', name: 'seq beyond 2^53', request: postRaw(`${R}/read`, '{"seq":9007199254740993}'), ...bad },
      { group: 'wrong types', name: 'password as a number', request: post('/api/auth/register', { username: 'abcd', password: 12345678 }, null), ...bad },
      { group: 'wrong types', name: 'username as an array (login)', request: post('/api/auth/login', { username: ['rest_a'], password: 'password-1' }, null), ...bad },
      { group: 'wrong types', name: 'limit 0', request: get(`${R}/messages?limit=0`), ...bad },
      { group: 'wrong types', name: 'limit 101', request: get(`${R}/messages?limit=101`), ...bad },
      { group: 'wrong types', name: 'before and after both', request: get(`${R}/messages?before=5&after=1`), ...bad },
      { group: 'missing fields', name: 'room without a name', request: post('/api/rooms', {}), ...bad },
      { group: 'missing fields', name: 'register without a password', request: post('/api/auth/register', { username: 'abcd' }, null), ...bad },
      { group: 'missing fields', name: 'refresh without a token', request: post('/api/auth/refresh', {}, null), ...bad },
      { group: 'missing fields', name: 'message without content', request: post(`${R}/messages`, { clientMsgId: 'x' }), ...bad },
      { group: 'missing fields', name: 'room with an empty body', request: postRaw('/api/rooms', ''), statuses: [400] },
      { group: 'unknown fields', name: 'room with admin:true', request: post('/api/rooms', { name: 'x', admin: true }), ...bad },
      { group: 'unknown fields', name: 'room with creatorId of another user', request: post('/api/rooms', { name: 'x', creatorId: b.userId }), ...bad },
      { group: 'unknown fields', name: 'message with senderId of another user', request: post(`${R}/messages`, { content: 'x', senderId: b.userId }), ...bad },
      { group: 'unknown fields', name: 'message with its own seq', request: post(`${R}/messages`, { content: 'x', seq: 1 }), ...bad },
      { group: 'unknown fields', name: '__proto__ pollution', request: postRaw('/api/rooms', '{"name":"x","__proto__":{"isAdmin":true}}'), statuses: [400] },
      { group: 'unknown fields', name: 'constructor.prototype pollution', request: postRaw('/api/rooms', '{"name":"x","constructor":{"prototype":{"isAdmin":true}}}'), statuses: [400] },
      { group: 'unknown fields', name: 'login with role:admin', request: post('/api/auth/login', { username: 'rest_a', password: 'password-1', role: 'admin' }, null), ...bad },
      { group: 'not JSON', name: 'body not JSON', request: postRaw('/api/rooms', 'not json'), ...bad },
      { group: 'not JSON', name: 'truncated JSON', request: postRaw('/api/rooms', '{"name":'), ...bad },
      { group: 'not JSON', name: 'body a JSON array', request: postRaw('/api/rooms', '[{"name":"x"}]'), ...bad },
      { group: 'not JSON', name: 'body a JSON string', request: postRaw('/api/rooms', '"x"'), ...bad },
      { group: 'not JSON', name: 'body null', request: postRaw('/api/rooms', 'null'), statuses: [400] },
      { group: 'not JSON', name: 'text/plain content type', request: postRaw('/api/rooms', '{"name":"x"}', 'text/plain'), statuses: [400, 415] },
      // Path traversal and malformed ids (raw paths: nothing normalises them on the way).
      { group: 'path traversal', name: '/api/rooms/..%2f..%2fetc%2fpasswd/messages', request: get('/api/rooms/..%2f..%2fetc%2fpasswd/messages'), statuses: [400, 404] },
      { group: 'path traversal', name: '/api/rooms/../me', request: get('/api/rooms/../me'), statuses: [400, 404] },
      { group: 'path traversal', name: '/api/rooms/%2e%2e/me', request: get('/api/rooms/%2e%2e/me'), statuses: [400, 404] },
      { group: 'path traversal', name: 'double-encoded ..%252f', request: get('/api/rooms/..%252f..%252fetc%252fpasswd/messages'), statuses: [400, 404] },
      { group: 'path traversal', name: '/api/rooms/not-a-uuid/messages', request: get('/api/rooms/not-a-uuid/messages'), statuses: [400, 404] },
      { group: 'path traversal', name: 'uuid with a NUL', request: get(`/api/rooms/${room}%00/messages`), statuses: [400, 404] },
      { group: 'path traversal', name: 'uuid with SQL', request: get(`/api/rooms/${room}%27%20OR%20%271%27=%271/messages`), statuses: [400, 404] },
      { group: 'path traversal', name: 'malformed percent-encoding', request: get('/api/rooms/%ZZ/messages'), statuses: [400, 404] },
      { group: 'path traversal', name: 'a 5,000-character id', request: get(`/api/rooms/${big(5000)}/messages`), statuses: [400, 404, 414] },
      { group: 'path traversal', name: 'traversal in a POST id', request: post('/api/rooms/..%2F..%2Fadmin/join', {}), statuses: [400, 404] },
      { group: 'path traversal', name: 'traversal in a user id', request: get('/api/users/..%2f..%2fetc%2fpasswd/presence'), statuses: [400, 404] },
      { group: 'path traversal', name: '/api/../../../../etc/passwd', request: get('/api/../../../../etc/passwd'), statuses: [400, 404] },
      { group: 'path traversal', name: '/docs/static/../../../../../etc/passwd', request: get('/docs/static/../../../../../etc/passwd'), statuses: [400, 403, 404] },
      { group: 'path traversal', name: '/docs/static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd', request: get('/docs/static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd'), statuses: [400, 403, 404] },
      { group: 'path traversal', name: '/docs/static/..%2f..%2fpackage.json', request: get('/docs/static/..%2f..%2fpackage.json'), statuses: [400, 403, 404] },
      { group: 'path traversal', name: 'a well-formed id of no room', request: get('/api/rooms/00000000-0000-0000-0000-000000000000/messages'), statuses: [404], code: 'CHAT_ROOM_NOT_FOUND' },
      { group: 'path traversal', name: 'another user\'s private room', request: get(`/api/rooms/${bRoom}/messages`), statuses: [403], code: 'CHAT_ROOM_FORBIDDEN' },
      { group: 'path traversal', name: 'join another user\'s private room', request: post(`/api/rooms/${bRoom}/join`, undefined), statuses: [403], code: 'CHAT_ROOM_PRIVATE' },
    ]
    const outcomes: Outcome[] = []
    for (const p of probes) outcomes.push(judge(p, await rawHttp(base, p.request)))
    // Valid but unusual: an uppercase id names the same room; a name in invalid UTF-8 is decoded with U+FFFD or refused.
    const upper = await rawHttp(base, get(`/api/rooms/${room.toUpperCase()}/messages`))
    // A trailing NUL in a password: scrypt keys HMAC with the password, and HMAC pads short keys with zeros, so
    // 'password-1\0' is the same key as 'password-1' (a property of HMAC, harmless: it needs the password).
    const nulPassword = await rawHttp(base, post('/api/auth/login', { username: 'rest_a', password: 'password-1\u0000' }, null))
    const loneSurrogate = await rawHttp(base, postRaw('/api/rooms', '{"name":"a\\ud800b"}'))
    const badUtf8 = await rawHttp(base, postRaw('/api/rooms', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')])))
    for (const group of [...new Set(probes.map((p) => p.group))]) {
      const mine = outcomes.filter((o) => o.probe.group === group)
      const failed = mine.filter((o) => !o.ok)
      checks.push(check(`${group}: each refused with 4xx and a CHAT_ code, no stack trace or SQL in the body`, failed.length === 0,
        failed.length === 0 ? `${mine.length} of ${mine.length}: ${[...new Set(mine.map((o) => `${o.answer.status} ${o.answer.code}`))].join(', ')}` : failed.map((o) => `${o.probe.name}: ${o.why}`).join('; ')))
    }
    const all: HttpAnswer[] = [...outcomes.map((o) => o.answer), ...roomNames.map((x) => x.r), ...sends, upper, badUtf8, nulPassword, loneSurrogate]
    const fiveXx = all.filter((x) => x.status >= 500 || x.status < 0)
    checks.push(check('no 5xx (and no dropped connection) anywhere', fiveXx.length === 0,
      fiveXx.length === 0 ? `${all.length} requests` : outcomes.filter((o) => o.answer.status >= 500 || o.answer.status < 0).map((o) => `${o.probe.name}: ${o.answer.status} ${o.answer.body.slice(0, 100)}`).join('; ')))
    checks.push(check('an uppercase room id is the same room (200), not an error', upper.status === 200, `${upper.status} ${upper.code}`))
    checks.push(check('a password with a trailing NUL: 200 or 4xx with a CHAT_ code, never 5xx', nulPassword.status === 200 || (nulPassword.status < 500 && nulPassword.code.startsWith('CHAT_')), `${nulPassword.status} ${nulPassword.code}`))
    checks.push(check('a room name with a lone surrogate (\\ud800): 201 or 400 CHAT_, never 5xx', loneSurrogate.status === 201 || (loneSurrogate.status === 400 && loneSurrogate.code.startsWith('CHAT_')), `${loneSurrogate.status} ${loneSurrogate.code}`))
    checks.push(check('a room name in invalid UTF-8: 201 (decoded) or 400 CHAT_, never 5xx', badUtf8.status === 201 || (badUtf8.status === 400 && badUtf8.code.startsWith('CHAT_')), `${badUtf8.status} ${badUtf8.code}`))

    // An ordinary client uploading a 5 MiB body in one go: fastify answers 413 and closes the connection at once (it
    // must not read the rest), so the client often fails on its next write (EPIPE) before it reads the 413. Reported,
    // not checked: it is how fastify (and most servers without a lingering close) behave.
    const eager: Record<string, number> = {}
    for (let i = 0; i < 10; i++) {
      const k = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'abcd', password: big(5 * 1024 * 1024) }) })
        .then((r) => String(r.status), (err: Error) => (err.cause as { code?: string } | undefined)?.code ?? err.message)
      eager[k] = (eager[k] ?? 0) + 1
    }

    // 3. Nothing was executed: the data and the deployment's Redis keys are all still there, and the service works.
    const countsAfter = await tableCounts(databaseUrl)
    const keysAfter = await redisKeys(ctx.servers.redisUrl, prefix)
    const page = await api.request<{ messages: Array<{ content: string }> }>('GET', `${R}/messages?limit=100`, undefined, a.accessToken)
    const relogin = await api.request('POST', '/api/auth/login', { username: 'rest_a', password: 'password-1' })
    checks.push(check('tables still hold their rows (none fewer than before)',
      Object.entries(countsBefore).every(([k, v]) => (countsAfter[k] ?? 0) >= v) && (countsAfter.messages ?? 0) > 0,
      `before ${JSON.stringify(countsBefore)}, after ${JSON.stringify(countsAfter)}`))
    checks.push(check('the baseline room still reads back over REST, and login still works',
      page.status === 200 && page.body.messages.some((m) => m.content === 'baseline message') && relogin.status === 200, `messages ${page.status}, login ${relogin.status}`))
    checks.push(check('the deployment\'s Redis keys still exist', keysBefore > 0 && keysAfter >= keysBefore, `${keysBefore} keys before, ${keysAfter} after (prefix ${prefix})`))
    checks.push(check('the history service is still up', deployment.history.isRunning))

    const refused = outcomes.filter((o) => o.answer.status >= 400 && o.answer.status < 500).length
    return {
      figures: {
        'malicious requests': probes.length,
        'answered 4xx with a CHAT_ code': outcomes.filter((o) => o.answer.status >= 400 && o.answer.status < 500 && o.answer.code.startsWith('CHAT_')).length,
        'answered 4xx': refused,
        'answered 5xx or dropped': fiveXx.length,
        'bodies leaking a stack trace or SQL': outcomes.filter((o) => o.answer.status >= 400 && leakIn(o.answer.body) !== '').length,
        'meta-character room names stored verbatim': `${roomNames.filter((x) => x.stored).length} of ${META.length}`,
        'meta-character messages stored verbatim': `${verbatim} of ${META.length}`,
        'Redis keys of the prefix before / after': `${keysBefore} / ${keysAfter}`,
        'fetch posting 5 MiB to /api/auth/register in one go, 10 tries (answers seen)': Object.entries(eager).map(([k, v]) => `${k} × ${v}`).join(', '),
      },
      checks,
    }
  },
}
