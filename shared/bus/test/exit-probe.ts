import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs a bus in a fresh node (from dist/, so it needs a build): consume with a handler that always
 * retries (a 60 s delay queue holds the copy), publish, close. Resolves with the milliseconds from
 * close() to the process exiting on its own; rejects if it is still alive after 10 s.
 */
export async function exitAfterClose (make: string): Promise<number> {
  const code = `
const { setTimeout: sleep } = await import('node:timers/promises')
const bus = await (async () => { ${make} })()
let calls = 0
await bus.consumeInbound(async () => { calls++; return { outcome: 'retry', reason: 'later' } })
await bus.publishInbound({ v: 1, id: crypto.randomUUID(), roomId: crypto.randomUUID(), senderId: crypto.randomUUID(),
  senderName: 'a', type: 'TALK', content: 'x', clientMsgId: 'c', sentAt: new Date().toISOString() })
while (calls === 0) await sleep(10)
await sleep(50)
const closedAt = Date.now()
await bus.close()
process.on('exit', () => process.stdout.write(String(Date.now() - closedAt)))
`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: packageDir, timeout: 10_000 })
  return Number(stdout)
}
