export {
  ExchangeName, DEAD_LETTER_QUEUE, DeliverKey, Header,
  shardOf, shardQueueName, shardRoutingKey, retryQueueName, edgeQueueName,
} from './names.js'
export { buildTopology, edgeQueueSpec, assertTopology, assertQueueSpec, DEFAULT_TOPOLOGY_OPTIONS } from './topology.js'
export type { Topology, TopologyOptions, ExchangeSpec, QueueSpec, BindingSpec, TopologyChannel } from './topology.js'
