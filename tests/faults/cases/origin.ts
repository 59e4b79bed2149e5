import { RawStompClient } from '@chat/testing'
import { check, type Check, type ChaosCase } from '../chaos-case.js'
import { rawUpgrade } from './attack-stomp.js'

const ALLOWED = 'https://chat.example.com'

/** An Origin to try at the upgrade: the header lines exactly as sent, and whether it names the allowed origin. */
interface OriginTry {
  readonly name: string
  readonly headers: ReadonlyArray<string | Buffer>
  readonly isAllowed: boolean
}

/** The raw UTF-8 bytes of `text` in a header (browsers send the punycode form; a hand-made client may not). */
function utf8Header (name: string, text: string): Buffer {
  return Buffer.concat([Buffer.from(`${name}: `, 'latin1'), Buffer.from(text, 'utf8')])
}

/**
 * #11: the upgrade is refused (403) for a browser Origin outside ALLOWED_ORIGINS. Origins are compared as the URL
 * standard parses them (scheme, host, port; host lowercased, IDN to punycode, default port dropped), so only
 * spellings of the same origin are let through, and a look-alike never is.
 */
export const origin: ChaosCase = {
  name: 'origin',
  number: 11,
  title: 'A foreign Origin at upgrade refused; a look-alike origin refused',
  inSubset: true,
  timeoutMs: 60_000,
  async run (ctx) {
    const { deployment, api } = await ctx.deploy({ edges: 1, dispatchers: 0, edgeEnv: { ALLOWED_ORIGINS: ALLOWED } })
    const edge = deployment.edges[0]
    if (edge === undefined) throw new Error('no edge')
    const port = edge.port
    const user = await api.user('origin_user')
    const checks: Check[] = []

    // 1. Allowed: no Origin (not a browser), the allowed origin, and the edge's own origin (same origin, SPEC 4),
    //    all the way to CONNECTED. Then spellings the URL parser turns into the same origin.
    for (const [name, headers] of [['no Origin', {}], [`Origin ${ALLOWED}`, { Origin: ALLOWED }], [`same origin http://127.0.0.1:${port}`, { Origin: `http://127.0.0.1:${port}` }]] as const) {
      let detail: string
      let ok = false
      try {
        const c = await RawStompClient.connect(edge.wsUrl, user.accessToken, {}, { headers })
        ok = c.frames.some((f) => f.command === 'CONNECTED')
        detail = 'CONNECTED'
        c.close()
      } catch (err) {
        detail = (err as Error).message
      }
      checks.push(check(`allowed: ${name} opens a session`, ok, detail))
    }

    const tries: OriginTry[] = [
      // Same origin after parsing (RFC 6454 / WHATWG URL): case of scheme and host, the default port written out.
      { name: 'uppercase scheme and host', headers: ['Origin: HTTPS://CHAT.EXAMPLE.COM'], isAllowed: true },
      { name: 'mixed-case host', headers: ['Origin: https://Chat.Example.Com'], isAllowed: true },
      { name: 'default port written out (:443)', headers: ['Origin: https://chat.example.com:443'], isAllowed: true },
      // Foreign and look-alikes.
      { name: 'a foreign origin', headers: ['Origin: https://evil.example.net'], isAllowed: false },
      { name: 'allowed host as a prefix of another domain', headers: ['Origin: https://chat.example.com.evil.net'], isAllowed: false },
      { name: 'allowed host as a suffix of another name', headers: ['Origin: https://evilchat.example.com'], isAllowed: false },
      { name: 'a subdomain of the allowed host', headers: ['Origin: https://a.chat.example.com'], isAllowed: false },
      { name: 'the parent domain', headers: ['Origin: https://example.com'], isAllowed: false },
      { name: 'another scheme (http)', headers: ['Origin: http://chat.example.com'], isAllowed: false },
      { name: 'another scheme (wss)', headers: ['Origin: wss://chat.example.com'], isAllowed: false },
      { name: 'another port (:444)', headers: ['Origin: https://chat.example.com:444'], isAllowed: false },
      { name: 'the opaque origin null', headers: ['Origin: null'], isAllowed: false },
      { name: 'IDN look-alike (Cyrillic a), punycode as browsers send it', headers: [`Origin: ${new URL('https://chat.ex\u0430mple.com').origin}`], isAllowed: false },
      { name: 'IDN look-alike (Cyrillic a), raw UTF-8 bytes', headers: [utf8Header('Origin', 'https://chat.ex\u0430mple.com')], isAllowed: false },
      { name: 'fullwidth dot look-alike (raw UTF-8)', headers: [utf8Header('Origin', 'https://chat\uFF0Eexample.com.evil.net')], isAllowed: false },
      { name: 'trailing-dot host (chat.example.com.)', headers: ['Origin: https://chat.example.com.'], isAllowed: false },
      { name: 'allowed origin as userinfo (https://chat.example.com@evil.net)', headers: ['Origin: https://chat.example.com@evil.net'], isAllowed: false },
      { name: 'allowed origin in a path', headers: ['Origin: https://evil.net/https://chat.example.com'], isAllowed: false },
      { name: 'allowed origin in a fragment', headers: ['Origin: https://evil.net#https://chat.example.com'], isAllowed: false },
      { name: 'a list of origins, the allowed one first', headers: ['Origin: https://chat.example.com https://evil.net'], isAllowed: false },
      { name: 'two Origin headers, the allowed one first', headers: [`Origin: ${ALLOWED}`, 'Origin: https://evil.net'], isAllowed: false },
      { name: 'percent-encoded dot in the host', headers: ['Origin: https://chat%2Eexample.com.evil.net'], isAllowed: false },
      { name: 'a host that is an IP address', headers: ['Origin: https://10.0.0.1'], isAllowed: false },
      { name: 'a file: origin', headers: ['Origin: file://'], isAllowed: false },
      { name: 'not a URL', headers: ['Origin: chat.example.com'], isAllowed: false },
      { name: 'an empty Origin', headers: ['Origin: '], isAllowed: false },
      { name: 'the edge\'s host on another port (localhost)', headers: [`Origin: http://localhost:${port + 1}`], isAllowed: false },
    ]
    const answers = await Promise.all(tries.map(async (t) => ({ t, a: await rawUpgrade(port, t.headers).catch((err: unknown) => ({ status: -1, body: (err as Error).message })) })))
    let refused = 0
    let admitted = 0
    for (const { t, a } of answers) {
      let code = ''
      try {
        code = (JSON.parse(a.body) as { code?: string }).code ?? ''
      } catch {}
      if (t.isAllowed) {
        if (a.status === 101) admitted++
        checks.push(check(`same origin after parsing, upgraded: ${t.name}`, a.status === 101, `${a.status}`))
      } else {
        const ok = a.status === 403 && code === 'CHAT_ORIGIN_FORBIDDEN'
        if (ok) refused++
        checks.push(check(`refused with 403: ${t.name}`, ok, `${a.status} ${code}`))
      }
    }

    // 2. The refusals are counted by reason on /metrics, and the edge still serves after them.
    const metrics = await (await fetch(`${edge.url}/metrics`)).text()
    const counted = Number(/chat_edge_upgrades_refused_total\{reason="origin"\} (\d+)/.exec(metrics)?.[1] ?? 0)
    const foreign = tries.filter((t) => !t.isAllowed).length
    checks.push(check('every refusal counted in chat_edge_upgrades_refused_total{reason="origin"}', counted === foreign, `${counted} counted, ${foreign} foreign`))
    const after = await RawStompClient.connect(edge.wsUrl, user.accessToken, {}, { headers: { Origin: ALLOWED } }).then((c) => { c.close(); return true }, () => false)
    checks.push(check('the edge still opens sessions for the allowed origin afterwards', after && edge.isRunning))
    return {
      figures: {
        'foreign or look-alike origins tried': foreign,
        'refused 403 CHAT_ORIGIN_FORBIDDEN': refused,
        'spellings of the allowed origin admitted': `${admitted} of ${tries.length - foreign}`,
        'allowed origins': ALLOWED,
      },
      checks,
    }
  },
}
