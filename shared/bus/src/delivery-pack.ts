/** Content type of an AMQP message that packs several stored messages of one room (see `deliveryEnvelopes`). */
export const PACK_CONTENT_TYPE = 'application/vnd.stomp-chat.deliveries'
