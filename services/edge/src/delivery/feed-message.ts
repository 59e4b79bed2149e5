import { MessageFrameTemplate, type StompVersion } from '@chat/protocol'

/**
 * One stored message on its way to local subscribers. Its MESSAGE frame is serialized once per STOMP
 * version and reused for every subscriber; only `subscription` (and `ack`) differ between them.
 */
export class FeedMessage {
  readonly roomId: string
  readonly seq: number
  readonly id: string
  readonly body: Buffer | string
  #templates: Map<StompVersion, MessageFrameTemplate> | undefined

  constructor (roomId: string, seq: number, id: string, body: Buffer | string) {
    this.roomId = roomId
    this.seq = seq
    this.id = id
    this.body = body
  }

  /** The serialized MESSAGE frame for one subscriber. */
  frame (version: StompVersion, subscriptionId: string, ack?: string): Buffer {
    this.#templates ??= new Map()
    let t = this.#templates.get(version)
    if (t === undefined) {
      t = new MessageFrameTemplate({
        destination: `/topic/rooms.${this.roomId}`,
        'message-id': this.id,
        seq: this.seq,
        'content-type': 'application/json',
      }, this.body, version)
      this.#templates.set(version, t)
    }
    return t.forSubscription(subscriptionId, ack)
  }
}
