import type { InboundMessage } from '@chat/schemas'
import { shardOf } from '@chat/topology'
import { inboundEnvelope, inboundPackEnvelope } from './envelopes.js'
import type { Envelope } from './envelopes.js'

/** Inbound messages packed into one AMQP message at most (beyond it a pack is sent at once). */
const MAX_INBOUND_PACK = 128

interface Waiting {
  readonly message: InboundMessage
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

export interface InboundPackerOptions {
  readonly shards: number
  /**
   * Publishes one envelope (a single message or an inbound pack) of `count` messages, persistent and
   * mandatory; resolves on the broker's confirm.
   */
  readonly send: (envelope: Envelope, count: number) => Promise<void>
}

/**
 * Packs the inbound publishes of one turn of the event loop per shard (`inbound-pack.ts`): one message,
 * stored and confirmed once, for them all. Each caller's promise settles with its pack. Shared by both
 * adapters, so the in-process bus exercises the same packing and unpacking as RabbitMQ.
 */
export class InboundPacker {
  readonly #shards: number
  readonly #send: InboundPackerOptions['send']
  readonly #packing = new Map<number, Waiting[]>()
  #timer: NodeJS.Immediate | undefined
  #pending = 0

  constructor (options: InboundPackerOptions) {
    this.#shards = options.shards
    this.#send = options.send
  }

  /** Messages waiting for their pack to be sent. */
  get pending (): number {
    return this.#pending
  }

  /** Adds a message to its shard's pack; resolves once the pack's publish resolved. Order per shard is call order. */
  add (message: InboundMessage): Promise<void> {
    const shard = shardOf(message.roomId, this.#shards)
    this.#pending++
    return new Promise<void>((resolve, reject) => {
      let list = this.#packing.get(shard)
      if (list === undefined) {
        list = []
        this.#packing.set(shard, list)
      }
      list.push({ message, resolve, reject })
      if (list.length >= MAX_INBOUND_PACK) this.#flush(shard)
      else {
        this.#timer ??= setImmediate(() => {
          this.#timer = undefined
          for (const k of [...this.#packing.keys()]) this.#flush(k)
        })
      }
    })
  }

  /** Rejects everything waiting with `err`; later `add` calls are the caller's to refuse. */
  close (err: Error): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer)
    this.#timer = undefined
    for (const list of this.#packing.values()) for (const w of list) w.reject(err)
    this.#packing.clear()
    this.#pending = 0
  }

  #flush (shard: number): void {
    const list = this.#packing.get(shard)
    if (list === undefined || list.length === 0) return
    this.#packing.delete(shard)
    this.#pending -= list.length
    const envelope = list.length === 1
      ? inboundEnvelope((list[0] as Waiting).message, this.#shards)
      : inboundPackEnvelope(list.map((w) => w.message), shard)
    let sent: Promise<void>
    try {
      sent = this.#send(envelope, list.length)
    } catch (err) {
      sent = Promise.reject(err)
    }
    sent.then(() => {
      for (const w of list) w.resolve()
    }, (err: unknown) => {
      for (const w of list) w.reject(err as Error)
    })
  }
}
