import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { RawStompClient, type ChatApi, type TestUser } from '@chat/testing'
import { check, type Check, type ChaosCase } from '../chaos-case.js'
import { claimsOf, nowSeconds, signHmac, signHs256, signRs256, unsecured, type Json } from './attack-jwt.js'
import { describeOutcome, isRefused, ms, tryConnect, type ConnectOutcome } from './attack-stomp.js'

/** One forged or misused token, and the codes SPEC and docs/errors.md lead us to expect. */
interface Attempt {
  readonly name: string
  readonly token: string
  /** Expected STOMP ERROR `message` and REST `code`; any refusal passes, a different code is reported. */
  readonly stompCode?: string
  readonly restCode?: string
}

interface AttemptResult {
  readonly attempt: Attempt
  readonly viaAuthorization: ConnectOutcome
  readonly viaPasscode: ConnectOutcome
  readonly rest: { status: number, code: string }
}

async function restMe (api: ChatApi, token: string): Promise<{ status: number, code: string }> {
  const r = await api.request<{ code?: string } | null>('GET', '/api/me', undefined, token)
  return { status: r.status, code: r.body?.code ?? '' }
}

async function runAttempt (wsUrl: string, api: ChatApi, a: Attempt): Promise<AttemptResult> {
  const [viaAuthorization, viaPasscode, rest] = await Promise.all([
    tryConnect(wsUrl, a.token, 'authorization'),
    tryConnect(wsUrl, a.token, 'passcode'),
    restMe(api, a.token),
  ])
  return { attempt: a, viaAuthorization, viaPasscode, rest }
}

function restRefused (r: { status: number, code: string }): boolean {
  return r.status === 401 && r.code.startsWith('CHAT_')
}

/** One check per attempt: refused on STOMP (both ways of giving the token) and on REST. */
function attemptCheck (label: string, r: AttemptResult): Check {
  const ok = isRefused(r.viaAuthorization) && isRefused(r.viaPasscode) && restRefused(r.rest)
  const codes = r.attempt.stompCode === undefined
    ? ''
    : (r.viaAuthorization.error === r.attempt.stompCode && r.rest.code === r.attempt.restCode ? ', codes as documented' : `, expected ${r.attempt.stompCode}/${r.attempt.restCode ?? ''}`)
  return check(`${label}: ${r.attempt.name} refused`, ok,
    `STOMP: ${describeOutcome(r.viaAuthorization)}; as passcode: ${describeOutcome(r.viaPasscode)}; REST ${r.rest.status} ${r.rest.code}${codes}`)
}

/** A session held open to watch it being closed: when it closed and with what ERROR. */
interface Watched {
  readonly client: RawStompClient
  closedAt: number | undefined
}

async function watch (wsUrl: string, token: string): Promise<Watched> {
  const client = await RawStompClient.connect(wsUrl, token)
  const w: Watched = { client, closedAt: undefined }
  client.closed.then(() => { w.closedAt = performance.now() }, () => {})
  return w
}

async function closedWithin (ws: readonly Watched[], timeoutMs: number): Promise<void> {
  await Promise.race([
    Promise.all(ws.map(async (w) => await w.client.closed)),
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  ])
}

function revokedError (w: Watched): boolean {
  return w.client.frames.some((f) => f.command === 'ERROR' && f.headers.message === 'token-revoked')
}

/** #10: forged, misused, expired and revoked tokens never open a STOMP session or a REST call. */
export const tokenAttacks: ChaosCase = {
  name: 'token-attacks',
  number: 10,
  title: 'Token attacks, each refused: alg none; HS256 with a public key or another secret; a whitespace-prefixed key; wrong iss/aud/typ; refresh as access; exp/nbf off by 5 min; a revoked device; a spent refresh token replayed',
  inSubset: true,
  timeoutMs: 180_000,
  async run (ctx) {
    const checks: Check[] = []
    const figures: Record<string, number | string> = {}
    const { deployment, api } = await ctx.deploy({ edges: 1, dispatchers: 0 })
    const wsUrl = deployment.edges[0]?.wsUrl ?? ''
    const secret = deployment.env.JWT_SECRET ?? ''
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const otherPrivatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

    // 1. Controls: the user's real token, and one forged by hand with the real secret, both work; otherwise a
    //    refusal below could be a broken forger rather than a working check.
    const user = await api.user('ta_user')
    const real = claimsOf(user.accessToken)
    const now = nowSeconds()
    const fresh: Json = { ...real, iat: now, exp: now + 600 }
    const forgedOk = signHs256(fresh, secret)
    for (const [name, token] of [['the issued access token', user.accessToken], ['a token forged with the real secret and valid claims', forgedOk]] as const) {
      const [stomp, rest] = await Promise.all([tryConnect(wsUrl, token), restMe(api, token)])
      checks.push(check(`control: ${name} is accepted`, stomp.connected && rest.status === 200, `STOMP: ${describeOutcome(stomp)}; REST ${rest.status}`))
    }

    // 2. A device signed out: its access token is refused from then on.
    const gone = await api.user('ta_gone', 'password-1', 'device-gone')
    const goneSession = await watch(wsUrl, gone.accessToken)
    const logout = await api.request('POST', '/api/auth/logout', undefined, gone.accessToken)
    const loggedOutAt = performance.now()
    await closedWithin([goneSession], 3_000)
    checks.push(check('logout: 204, and the device\'s live session closed with ERROR token-revoked within 1 s',
      logout.status === 204 && goneSession.closedAt !== undefined && goneSession.closedAt - loggedOutAt < 1_000 && revokedError(goneSession),
      `logout ${logout.status}; closed after ${goneSession.closedAt === undefined ? 'never' : ms(goneSession.closedAt - loggedOutAt)} ms`))
    if (goneSession.closedAt !== undefined) figures['logout 204 → session closed (ms; negative: closed before the 204 arrived)'] = ms(goneSession.closedAt - loggedOutAt)

    const [header, payload, signature] = user.accessToken.split('.') as [string, string, string]
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...real, name: 'admin' })).toString('base64url')}.${signature}`
    const without = (key: string): Json => Object.fromEntries(Object.entries(fresh).filter(([k]) => k !== key))
    const attempts: Attempt[] = [
      { name: 'alg none, no signature', token: unsecured(fresh) },
      { name: 'alg "None", no signature', token: unsecured(fresh, 'None') },
      { name: 'alg none with the real token\'s payload and signature', token: `${unsecured({}, 'none').split('.')[0] ?? ''}.${payload}.${signature}` },
      { name: 'HS256 signed with an RSA public key PEM as the secret', token: signHs256(fresh, publicPem) },
      { name: 'HS256 signed with a whitespace-prefixed RSA public key PEM', token: signHs256(fresh, `  \n${publicPem}`) },
      { name: 'HS256 signed with another secret', token: signHs256(fresh, randomBytes(32).toString('base64url')) },
      { name: 'HS256 signed with the secret prefixed by a space', token: signHs256(fresh, ` ${secret}`) },
      { name: 'HS256 signed with the secret prefixed by a newline', token: signHs256(fresh, `\n${secret}`) },
      { name: 'HS256 signed with an empty key', token: signHs256(fresh, '') },
      { name: 'HS512 (not the pinned algorithm) signed with the real secret', token: signHmac('HS512', fresh, secret) },
      { name: 'RS256 signed with an unknown private key', token: signRs256(fresh, otherPrivatePem) },
      { name: 'claims changed under the real signature', token: tampered },
      { name: 'signature removed', token: `${header}.${payload}.` },
      { name: 'wrong iss', token: signHs256({ ...fresh, iss: 'evil-issuer' }, secret) },
      { name: 'no iss', token: signHs256(without('iss'), secret) },
      { name: 'wrong aud', token: signHs256({ ...fresh, aud: 'another-service' }, secret) },
      { name: 'aud a list without ours', token: signHs256({ ...fresh, aud: ['another-service'] }, secret) },
      { name: 'wrong typ (refresh)', token: signHs256({ ...fresh, typ: 'refresh' }, secret) },
      { name: 'no typ', token: signHs256(without('typ'), secret) },
      { name: 'the refresh token as an access token', token: user.refreshToken },
      { name: 'exp 5 minutes ago', token: signHs256({ ...fresh, iat: now - 1_200, exp: now - 300 }, secret), stompCode: 'token-expired', restCode: 'CHAT_TOKEN_EXPIRED' },
      { name: 'nbf 5 minutes ahead', token: signHs256({ ...fresh, nbf: now + 300 }, secret) },
      { name: 'no exp', token: signHs256(without('exp'), secret) },
      { name: 'a revoked device\'s access token (after logout)', token: gone.accessToken, stompCode: 'token-revoked', restCode: 'CHAT_TOKEN_REVOKED' },
      { name: 'an empty token', token: '' },
    ]
    const results = await Promise.all(attempts.map(async (a) => await runAttempt(wsUrl, api, a)))
    for (const r of results) checks.push(attemptCheck('HS256 deployment', r))

    // 3. A spent refresh token replayed: RFC 9700 reuse detection. Two live sessions on the device's token, one
    //    legitimate rotation (the sessions stay), then the old refresh token again.
    const victim = await api.user('ta_victim', 'password-1', 'device-victim')
    const sessions = [await watch(wsUrl, victim.accessToken), await watch(wsUrl, victim.accessToken)]
    const rotated = await api.request<{ accessToken?: string, refreshToken?: string }>('POST', '/api/auth/refresh', { refreshToken: victim.refreshToken })
    const next = { accessToken: rotated.body?.accessToken ?? '', refreshToken: rotated.body?.refreshToken ?? '' }
    checks.push(check('a legitimate rotation answers a new pair and leaves the sessions open',
      rotated.status === 200 && next.refreshToken !== '' && next.refreshToken !== victim.refreshToken && sessions.every((s) => s.closedAt === undefined),
      `refresh ${rotated.status}`))
    const replayStarted = performance.now()
    const replay = await api.request<{ code?: string }>('POST', '/api/auth/refresh', { refreshToken: victim.refreshToken })
    const replayAnsweredAt = performance.now()
    await closedWithin(sessions, 5_000)
    const closeMs = sessions.map((s) => s.closedAt === undefined ? Number.POSITIVE_INFINITY : s.closedAt - replayAnsweredAt)
    const worstMs = Math.max(...closeMs)
    checks.push(check('the spent refresh token replayed: 401 with a CHAT_ code', replay.status === 401 && (replay.body?.code ?? '').startsWith('CHAT_'), `${replay.status} ${replay.body?.code ?? ''}`))
    checks.push(check('both live sessions of the device closed with ERROR token-revoked within 1 s of the 401',
      sessions.every(revokedError) && worstMs < 1_000,
      `closed ${closeMs.map((v) => `${ms(v)} ms`).join(', ')} after the 401 (negative: before it arrived); ERRORs ${sessions.map((s) => s.client.frames.find((f) => f.command === 'ERROR')?.headers.message ?? 'none').join(', ')}`))
    figures['replay 401 → sessions closed, worst (ms; negative: before the 401 arrived)'] = ms(worstMs)
    figures['replay request sent → sessions closed, worst (ms)'] = ms(Math.max(...sessions.map((s) => (s.closedAt ?? Number.POSITIVE_INFINITY) - replayStarted)))
    figures['replay request round trip (ms)'] = ms(replayAnsweredAt - replayStarted)
    const familyRefresh = await api.request<{ code?: string }>('POST', '/api/auth/refresh', { refreshToken: next.refreshToken })
    checks.push(check('the family is revoked: the refresh token of the legitimate rotation is refused too', familyRefresh.status === 401 && (familyRefresh.body?.code ?? '').startsWith('CHAT_'), `${familyRefresh.status} ${familyRefresh.body?.code ?? ''}`))
    for (const [name, token] of [['the access token of the legitimate rotation', next.accessToken], ['the original access token', victim.accessToken]] as const) {
      checks.push(attemptCheck('after the replay', await runAttempt(wsUrl, api, { name, token, stompCode: 'token-revoked', restCode: 'CHAT_TOKEN_REVOKED' })))
    }
    const again = await api.request('POST', '/api/auth/login', { username: victim.username, password: 'password-1' })
    checks.push(check('the account itself is not locked: a new login works', again.status === 200, `login ${again.status}`))

    // 4. The same deployment shape with RS256 keys: the classic algorithm confusion (HS256 keyed with the public
    //    key the verifier holds), also with the PEM padded by whitespace (CVE-2023-48223 in fast-jwt < 3.3.2).
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const rsaPrivate = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const rs = await ctx.deploy({ edges: 1, dispatchers: 0, env: { JWT_SECRET: '', JWT_PUBLIC_KEY: rsaPublic, JWT_PRIVATE_KEY: rsaPrivate } })
    const rsWs = rs.deployment.edges[0]?.wsUrl ?? ''
    const rsUser: TestUser = await rs.api.user('ta_rsa')
    const rsClaims: Json = { ...claimsOf(rsUser.accessToken), iat: now, exp: now + 600 }
    for (const [name, token] of [['the issued RS256 token', rsUser.accessToken], ['an RS256 token forged with the real private key', signRs256(rsClaims, rsaPrivate)]] as const) {
      const [stomp, rest] = await Promise.all([tryConnect(rsWs, token), restMe(rs.api, token)])
      checks.push(check(`control (RS256 deployment): ${name} is accepted`, stomp.connected && rest.status === 200, `STOMP: ${describeOutcome(stomp)}; REST ${rest.status}`))
    }
    const der = rsa.publicKey.export({ type: 'spki', format: 'der' })
    const rsAttempts: Attempt[] = [
      { name: 'HS256 signed with the deployment\'s public key PEM', token: signHs256(rsClaims, rsaPublic) },
      { name: 'HS256 signed with the public key PEM, whitespace-prefixed', token: signHs256(rsClaims, ` \n\t${rsaPublic}`) },
      { name: 'HS256 signed with the public key PEM, without its final newline', token: signHs256(rsClaims, rsaPublic.trimEnd()) },
      { name: 'HS256 signed with the public key DER', token: signHs256(rsClaims, der) },
      { name: 'alg none', token: unsecured(rsClaims) },
      { name: 'RS256 signed with another private key', token: signRs256(rsClaims, otherPrivatePem) },
      { name: 'RS256 with iss and aud of another service', token: signRs256({ ...rsClaims, iss: 'other', aud: 'other' }, rsaPrivate) },
    ]
    const rsResults = await Promise.all(rsAttempts.map(async (a) => await runAttempt(rsWs, rs.api, a)))
    for (const r of rsResults) checks.push(attemptCheck('RS256 deployment', r))

    const all = [...results, ...rsResults]
    figures['token attempts'] = all.length
    figures['STOMP CONNECTs tried (Authorization and passcode)'] = all.length * 2
    figures['STOMP CONNECTs refused with ERROR and close'] = all.reduce((n, r) => n + (isRefused(r.viaAuthorization) ? 1 : 0) + (isRefused(r.viaPasscode) ? 1 : 0), 0)
    figures['REST calls refused 401 CHAT_*'] = all.filter((r) => restRefused(r.rest)).length
    figures['STOMP CONNECTED on a bad token'] = all.reduce((n, r) => n + (r.viaAuthorization.connected ? 1 : 0) + (r.viaPasscode.connected ? 1 : 0), 0)
    figures['edge still running'] = String(deployment.edges[0]?.isRunning === true && rs.deployment.edges[0]?.isRunning === true)
    for (const s of sessions) s.client.close()
    return { figures, checks }
  },
}
