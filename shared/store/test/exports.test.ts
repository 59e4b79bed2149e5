import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))

// A resolve hook (in a fresh node) that records which database drivers an import pulls in.
const probeSource = (entry: string): string => `
import { register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
const { port1, port2 } = new MessageChannel()
const drivers = new Set()
let flushed
port1.on('message', (msg) => { if (msg === 'flushed') flushed(); else drivers.add(msg) })
register('data:text/javascript,' + encodeURIComponent(\`
  let port
  export function initialize (data) {
    port = data.port
    port.on('message', () => port.postMessage('flushed'))
    port.unref()
  }
  export async function resolve (specifier, context, next) {
    const r = await next(specifier, context)
    const m = /\\\\/node_modules\\\\/(postgres|@electric-sql\\\\/pglite)\\\\//.exec(r.url)
    if (m) port.postMessage(m[1])
    return r
  }\`), { data: { port: port2 }, transferList: [port2] })
const m = await import('${entry}')
// Ports keep order: once 'flushed' comes back, every driver the hook reported has arrived.
await new Promise((resolve) => { flushed = resolve; port1.postMessage('flush') })
port1.close()
console.log(JSON.stringify({ names: Object.keys(m).sort(), drivers: [...drivers].sort() }))`

/** Imports an entry point through package.json `exports` (i.e. dist/: needs a build) in a fresh node. */
async function probe (entry: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probeSource(entry)], { cwd: packageDir })
  return JSON.parse(stdout)
}

await test('the front door loads no database driver (needs a build)', async () => {
  assert.deepEqual(await probe('@chat/store'), {
    names: [
      'StoreError', 'StoreErrorCode', 'StoreUnavailableError', 'createChatStore', 'devices', 'messages',
      'refreshFamilies', 'refreshTokens', 'roomMembers', 'rooms', 'users',
    ],
    drivers: [],
  })
})

await test('@chat/store/postgres loads postgres.js only (needs a build)', async () => {
  assert.deepEqual(await probe('@chat/store/postgres'), { names: ['openPostgresDatabase'], drivers: ['postgres'] })
})

await test('@chat/store/pglite loads PGlite only (needs a build)', async () => {
  assert.deepEqual(await probe('@chat/store/pglite'), { names: ['openPgliteDatabase'], drivers: ['@electric-sql/pglite'] })
})
