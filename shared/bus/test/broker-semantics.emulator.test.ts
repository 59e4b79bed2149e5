import type { TestContext } from 'node:test'
import { BrokerError, InProcessBroker } from '../src/in-process-broker.js'
import type { BrokerChannel, BrokerDelivery, QueueOptions } from '../src/in-process-broker.js'
import { brokerSemanticsContract } from './broker-semantics.contract.js'
import type { TestBroker, TestChannel, TestDelivery } from './broker-semantics.contract.js'

interface EmulatorDelivery extends TestDelivery {
  readonly tag: number
}

function delivery (d: BrokerDelivery): EmulatorDelivery {
  return { body: d.body.toString(), redelivered: d.redelivered, exchange: d.exchange, routingKey: d.routingKey, headers: d.properties.headers ?? {}, tag: d.deliveryTag }
}

function channel (broker: InProcessBroker, ch: BrokerChannel): TestChannel {
  return {
    async declareQueue (name, o = {}) { broker.declareQueue(name, o as QueueOptions, ch) },
    async consume (queue, onMessage, o = {}) { return ch.consume(queue, (d) => onMessage(delivery(d)), o) },
    ack (d) { ch.ack((d as EmulatorDelivery).tag) },
    nack (d, requeue) { ch.nack((d as EmulatorDelivery).tag, requeue) },
    async cancel (tag) { ch.cancel(tag) },
    async close () { ch.close() },
  }
}

async function make (t: TestContext): Promise<TestBroker> {
  const broker = new InProcessBroker()
  t.after(() => broker.close())
  return {
    async declareExchange (name, type) { broker.declareExchange(name, type) },
    async declareQueue (name, o = {}) { broker.declareQueue(name, o as QueueOptions) },
    async bind (queue, exchange, key) { broker.bind(queue, exchange, key) },
    async publish (exchange, key, body, headers = {}) { return broker.publish(exchange, key, Buffer.from(body), { persistent: true, headers }) },
    async messageCount (queue) { return broker.messageCount(queue) },
    async hasQueue (queue) { return broker.hasQueue(queue) },
    async get (queue) { return broker.get(queue)?.body.toString() },
    async channel () { return channel(broker, broker.createChannel()) },
  }
}

await brokerSemanticsContract('in-process emulator', make, (err) => err instanceof BrokerError ? err.code : undefined)
