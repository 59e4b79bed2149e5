import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { probeExports } from '@chat/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

await test('the front door exports the port and the in-process bus without loading amqplib (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/bus', 'amqplib'), {
    names: [
      'ACK', 'BusClosedError', 'BusError', 'BusErrorCode', 'BusRejectedError',
      'BusUnavailableError', 'InProcessMessageBus', 'REQUEUE',
    ],
    driverLoaded: false,
  })
})

await test('@chat/bus/in-process-broker exports the AMQP emulator alone (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/bus/in-process-broker', 'amqplib'),
    { names: ['BrokerChannel', 'BrokerError', 'InProcessBroker', 'topicMatches'], driverLoaded: false })
})

await test('@chat/bus/rabbitmq exports the RabbitMQ adapter (needs a build)', async () => {
  assert.deepEqual(await probeExports(packageDir, '@chat/bus/rabbitmq', 'amqplib'), { names: ['RabbitMessageBus'], driverLoaded: true })
})
