import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InProcessMessageBus } from '../src/index.js'
import { InProcessBroker } from '../src/in-process-broker.js'
import type { MessageBus } from '../src/index.js'
import { messageBusContract } from './message-bus.contract.js'
import { TEST_TOPOLOGY } from './helpers.js'
import { exitAfterClose } from './exit-probe.js'

await messageBusContract('in-process', async (t) => {
  const broker = new InProcessBroker()
  const buses: MessageBus[] = []
  t.after(async () => {
    for (const b of buses) await b.close()
    broker.close()
  })
  return {
    async make (options = {}) {
      const bus = new InProcessMessageBus({ broker, topology: options.topology ?? TEST_TOPOLOGY })
      buses.push(bus)
      return bus
    },
    async deleteQueue (name) {
      broker.deleteQueue(name)
    },
  }
})

await test('InProcessMessageBus: nothing keeps the process alive after close(), a pending retry included (needs a build)', async () => {
  const ms = await exitAfterClose(`
    const { InProcessMessageBus } = await import('@chat/bus')
    return new InProcessMessageBus({ topology: { shards: 1, retryDelaysMs: [60_000] } })`)
  assert.ok(ms < 2_000, `exited ${ms} ms after close`)
})
