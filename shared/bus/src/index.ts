export { BusError, BusUnavailableError, BusRejectedError, BusClosedError, BusErrorCode } from './errors.js'
export { ACK, REQUEUE } from './message-bus.js'
export type {
  MessageBus, Outcome, InboundDelivery, InboundConsumerOptions, InboundConsumer, InboundHandler,
  StoredDelivery, BusEvent, EdgeTopic, EdgeDelivery, EdgeQueue, DeadLetter,
} from './message-bus.js'
export { InProcessMessageBus } from './message-bus.memory.js'
export type { InProcessMessageBusOptions } from './message-bus.memory.js'
export { InProcessBroker, BrokerChannel, BrokerError } from './in-process-broker.js'
export type {
  ExchangeType, MessageProperties, BrokerMessage, BrokerDelivery, PublishResult, QueueOptions, ConsumeOptions, BrokerErrorCode,
} from './in-process-broker.js'
export type { BusLogger } from './bus-logger.js'
