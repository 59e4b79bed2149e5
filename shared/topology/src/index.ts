export {
  ExchangeName, DEAD_LETTER_QUEUE, DeliverKey, Header,
  shardOf, shardQueueName, shardRoutingKey, retryQueueName, edgeQueueName,
} from './names.js'
export {
  buildTopology, edgeQueueSpec, assertTopology, assertQueueSpec, withoutPlacement, queueWithoutPlacement,
  DEFAULT_TOPOLOGY_OPTIONS, QUORUM_SIZE_ARGUMENT,
} from './topology.js'
export type { Topology, TopologyOptions, ExchangeSpec, QueueSpec, BindingSpec, TopologyChannel } from './topology.js'
export { loadTopologyOptions } from './topology-options.js'
