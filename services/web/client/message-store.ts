import type { ChatMessage } from './wire.js'

/**
 * One room's messages keyed by `seq`: each seq is held once, and `list()` is always in seq order whatever order
 * the sources (a REST page, the live stream, a backfill, a gap fill) delivered them in.
 */
export class RoomMessages {
  readonly roomId: string
  readonly #bySeq = new Map<number, ChatMessage>()
  /** Ascending. */
  readonly #seqs: number[] = []

  constructor (roomId: string) {
    this.roomId = roomId
  }

  get size (): number {
    return this.#seqs.length
  }

  /** Lowest seq held, 0 when empty. */
  get first (): number {
    return this.#seqs[0] ?? 0
  }

  /** Highest seq held, 0 when empty. */
  get last (): number {
    return this.#seqs[this.#seqs.length - 1] ?? 0
  }

  /** Seqs start at 1 and have no gaps, so anything above 1 has older messages before it. */
  get hasOlder (): boolean {
    return this.first > 1
  }

  get (seq: number): ChatMessage | undefined {
    return this.#bySeq.get(seq)
  }

  /** Adds the messages not held yet and returns those, in seq order. */
  addAll (messages: readonly ChatMessage[]): ChatMessage[] {
    const added: ChatMessage[] = []
    for (const m of messages) {
      if (m.roomId !== this.roomId || !Number.isSafeInteger(m.seq) || m.seq < 1 || this.#bySeq.has(m.seq)) continue
      this.#bySeq.set(m.seq, m)
      this.#seqs.splice(this.#insertionIndex(m.seq), 0, m.seq)
      added.push(m)
    }
    return added.sort((a, b) => a.seq - b.seq)
  }

  list (): ChatMessage[] {
    return this.#seqs.map((s) => this.#bySeq.get(s) as ChatMessage)
  }

  /** The first seq held above `seq`, or undefined: where a message with `seq` goes in a rendered list. */
  nextAfter (seq: number): number | undefined {
    return this.#seqs[this.#insertionIndex(seq + 1)]
  }

  #insertionIndex (seq: number): number {
    // The live stream appends, so look at the end first.
    const n = this.#seqs.length
    if (n === 0 || (this.#seqs[n - 1] as number) < seq) return n
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#seqs[mid] as number) < seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** Every room's messages the page has seen in this tab. */
export class MessageStore {
  readonly #rooms = new Map<string, RoomMessages>()

  room (roomId: string): RoomMessages {
    let r = this.#rooms.get(roomId)
    if (r === undefined) {
      r = new RoomMessages(roomId)
      this.#rooms.set(roomId, r)
    }
    return r
  }

  /** Forgets a room (left it, or its held range can no longer be made contiguous). */
  drop (roomId: string): void {
    this.#rooms.delete(roomId)
  }

  clear (): void {
    this.#rooms.clear()
  }
}
