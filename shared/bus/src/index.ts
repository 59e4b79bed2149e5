export { BusError, BusUnavailableError, BusRejectedError, BusClosedError, BusErrorCode } from './errors.js'
export { ACK, REQUEUE } from './message-bus.js'
export type {
  MessageBus, Outcome, InboundDelivery, InboundConsumerOptions, InboundConsumer, InboundHandler,
  StoredDelivery, BusEvent, EdgeTopic, EdgeDelivery, EdgeQueue, DeadLetter,
} from './message-bus.js'
