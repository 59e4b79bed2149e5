import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// No default passwords anywhere in infra/: every credential is a reference to the environment (`${VAR:?…}` in
// compose, a Secret in Kubernetes) or left empty for the operator to fill. This reads every file as text, so a
// password slipped into a new file or a comment is found too.

const INFRA = fileURLToPath(new URL('../', import.meta.url))

/** A value that is not a password: empty, a reference to one, a placeholder in capitals, or a boolean. */
const NOT_A_PASSWORD = /^(|""|''|\$\{[^}]*\}|\$\([^)]*\)|\$\$?[A-Z_]+|"\$\$?[A-Z_]+"|[A-Z][A-Z0-9_]*|true|false)$/

/** The lines of `text` that give a credential a literal value. */
export function literalCredentials (text: string): string[] {
  const found: string[] = []
  for (const line of text.split('\n')) {
    // user:password@ in a URL
    for (const m of line.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:(\$\{[^}]*\}|[^\s@'"]*)@/gi)) {
      if (!NOT_A_PASSWORD.test(m[1] ?? '')) found.push(line.trim())
    }
    // KEY: value, KEY=value or key = value, for a key that names a password, secret or token
    const assigned = /(?:^|[\s,-]|(?<!\$)\{)([A-Za-z_][\w.-]*?(?:password|passwd|_pass|secret|token))\s*[:=][ \t]*(\$\{[^}]*\}|[^\s,}#]*)/i.exec(line)
    if (assigned !== null && !NOT_A_PASSWORD.test(assigned[2] ?? '')) found.push(line.trim())
    // redis-server --requirepass value
    const requirepass = /--requirepass[\s,]+("[^"]*"|[^\s,\]'"]+)/.exec(line)
    if (requirepass !== null && !NOT_A_PASSWORD.test(requirepass[1] ?? '')) found.push(line.trim())
  }
  return found
}

async function filesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      // The tests hold made-up values on purpose; node_modules is not ours.
      if (entry.name !== 'node_modules' && path !== join(INFRA, 'test')) out.push(...await filesUnder(path))
    } else if (entry.name !== 'secrets.env' && entry.name !== '.env') {
      out.push(path)
    }
  }
  return out
}

test('the scanner finds a literal password in each form it looks for', () => {
  assert.equal(literalCredentials([
    'POSTGRES_PASSWORD: chat',
    'RABBITMQ_DEFAULT_PASS: chat',
    '  DATABASE_URL: postgres://chat:chat@postgres:5432/chat',
    'default_pass = guest',
    'JWT_SECRET=change-me',
    'command: [redis-server, --requirepass, hunter2]',
    'command: redis-server --requirepass hunter2',
  ].join('\n')).length, 7)
  // Compose's own `${VAR:?message}` syntax, not a template string.
  /* eslint-disable no-template-curly-in-string */
  assert.deepEqual(literalCredentials([
    'POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}',
    'DATABASE_URL: postgres://chat:${POSTGRES_PASSWORD:?set it}@postgres:5432/chat',
    '#   amqp://USER:PASSWORD@chat-rabbitmq.chat.svc:5672',
    'JWT_SECRET=',
    '      automountServiceAccountToken: false',
    '  secretKeyRef: { name: chat-secrets, key: JWT_SECRET, optional: true }',
    'exec redis-server --requirepass "$$REDIS_PASSWORD"',
  ].join('\n')), [])
  /* eslint-enable no-template-curly-in-string */
})

test('no file in infra/ gives a credential a literal value', async () => {
  const files = await filesUnder(INFRA)
  assert.ok(files.some((f) => f.endsWith('compose.yaml')) && files.some((f) => f.endsWith('edge.yaml')), 'the scan reaches compose and the manifests')
  const found: string[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    for (const line of literalCredentials(text)) found.push(`${relative(INFRA, file)}: ${line}`)
  }
  assert.deepEqual(found, [])
})
