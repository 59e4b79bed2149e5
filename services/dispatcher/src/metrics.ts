import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface DispatcherMetrics {
  readonly consumed: Counter<'shard'>
  readonly batchSize: Histogram
  readonly persistSeconds: Histogram
  readonly deliverSeconds: Histogram
  readonly outcomes: Counter<'outcome'>
  readonly redeliveriesAbsorbed: Counter
  readonly deadLetters: Counter<'reason'>
  readonly invalid: Counter
  readonly paused: Gauge
}

export function createDispatcherMetrics (registry: Registry): DispatcherMetrics {
  const registers = [registry]
  return {
    consumed: new Counter({ name: 'chat_dispatcher_consumed_total', help: 'Deliveries taken from the shard queues, by shard', labelNames: ['shard'], registers }),
    batchSize: new Histogram({ name: 'chat_dispatcher_batch_size', help: 'Messages per persist transaction', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000], registers }),
    persistSeconds: new Histogram({ name: 'chat_dispatcher_persist_seconds', help: 'Persist transaction latency, seconds', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2], registers }),
    deliverSeconds: new Histogram({ name: 'chat_dispatcher_deliver_seconds', help: 'Publish of stored messages to chat.deliver until confirmed, seconds', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers }),
    outcomes: new Counter({ name: 'chat_dispatcher_outcomes_total', help: 'Outcomes of deliveries: ack, requeue, retry, dead-letter', labelNames: ['outcome'], registers }),
    deadLetters: new Counter({ name: 'chat_dispatcher_dead_letters_total', help: 'Messages sent to chat.dlq (attempts exhausted or given up), by reason', labelNames: ['reason'], registers }),
    redeliveriesAbsorbed: new Counter({ name: 'chat_dispatcher_redeliveries_absorbed_total', help: 'Deliveries found already stored (idempotency) and delivered again', registers }),
    invalid: new Counter({ name: 'chat_dispatcher_invalid_total', help: 'Deliveries whose envelope did not decode', registers }),
    paused: new Gauge({ name: 'chat_dispatcher_paused', help: '1 while consumption is paused after a transient failure', registers }),
  }
}
