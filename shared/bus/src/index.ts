export { BusError, BusUnavailableError, BusRejectedError, BusClosedError, BusErrorCode } from './errors.js'
export { ACK, REQUEUE } from './message-bus.js'
export type {
  MessageBus, Outcome, InboundDelivery, InboundConsumerOptions, InboundConsumer, InboundHandler,
  StoredDelivery, BusEvent, EdgeTopic, EdgeDelivery, EdgeQueue, DeadLetter,
} from './message-bus.js'
export { InProcessMessageBus } from './message-bus.memory.js'
export type { InProcessMessageBusOptions } from './message-bus.memory.js'
export type { BusLogger } from './bus-logger.js'
