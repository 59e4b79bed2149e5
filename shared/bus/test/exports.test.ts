import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** Runs an ES module in a fresh node (resolving `@chat/bus` through package.json `exports`, i.e. dist/). */
async function probe (code: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: packageDir })
  return JSON.parse(stdout)
}

const loaded = `
import { createRequire } from 'node:module'
const amqplibLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/amqplib/'))`

await test('the front door exports the port and the in-process bus without loading amqplib (needs a build)', async () => {
  const out = await probe(`${loaded}
const m = await import('@chat/bus')
console.log(JSON.stringify({ names: Object.keys(m).sort(), amqplib: amqplibLoaded() }))`)
  assert.deepEqual(out, {
    names: [
      'ACK', 'BusClosedError', 'BusError', 'BusErrorCode', 'BusRejectedError',
      'BusUnavailableError', 'InProcessMessageBus', 'REQUEUE',
    ],
    amqplib: false,
  })
})

await test('@chat/bus/in-process-broker exports the AMQP emulator alone (needs a build)', async () => {
  const out = await probe(`${loaded}
const m = await import('@chat/bus/in-process-broker')
console.log(JSON.stringify({ names: Object.keys(m).sort(), amqplib: amqplibLoaded() }))`)
  assert.deepEqual(out, { names: ['BrokerChannel', 'BrokerError', 'InProcessBroker', 'topicMatches'], amqplib: false })
})

await test('@chat/bus/rabbitmq exports the RabbitMQ adapter (needs a build)', async () => {
  const out = await probe(`${loaded}
const m = await import('@chat/bus/rabbitmq')
console.log(JSON.stringify({ names: Object.keys(m).sort(), amqplib: amqplibLoaded() }))`)
  assert.deepEqual(out, { names: ['RabbitMessageBus'], amqplib: true })
})
