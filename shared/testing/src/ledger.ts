/** What happened to one SEND. */
export type SendOutcome = 'receipted' | 'failed' | 'pending'

/** A stored message as the checker needs it. */
export interface StoredMessage {
  readonly roomId: string
  readonly seq: number
  readonly clientMsgId: string
  readonly type?: string
}

export interface LedgerReport {
  /** SENDs made, with a RECEIPT (or 202), refused with an error, and never answered. */
  readonly sent: number
  readonly receipted: number
  readonly failed: number
  readonly unanswered: number
  /** Receipted but not stored, or stored but missing from a subscriber's stream (live or by since-seq). */
  readonly lost: number
  /** Stored more than once, or delivered more than once to one subscriber. */
  readonly duplicated: number
  /** A subscriber saw a lower seq after a higher one. */
  readonly outOfOrder: number
  /** Holes in a room's stored seqs (1..N expected). */
  readonly gaps: number
  /** Stored but never sent by the test (TALK messages only). */
  readonly unexpected: number
  /** Details of the first problems, for the failure message. */
  readonly problems: readonly string[]
}

/**
 * The checker of the fault suite: a ledger kept by the test clients — every SEND with its clientMsgId
 * and whether it got a RECEIPT or an error, every MESSAGE each subscriber received with its seq —
 * compared with what PostgreSQL holds at the end. Every count must be 0.
 */
export class Ledger {
  readonly #sends = new Map<string, { roomId: string, sender: string, outcome: SendOutcome, sentAt: number, answeredAt?: number }>()
  /** subscriber → room → seqs in arrival order */
  readonly #received = new Map<string, Map<string, number[]>>()
  /** subscriber → rooms it must have complete, from seq `from` (exclusive) */
  readonly #expectations = new Map<string, Map<string, number>>()
  readonly #restRecovered = new Map<string, Map<string, Set<number>>>()

  /** A SEND by `sender` (clientMsgIds are unique across the ledger). */
  sent (clientMsgId: string, roomId: string, sender = ''): void {
    if (!this.#sends.has(clientMsgId)) this.#sends.set(clientMsgId, { roomId, sender, outcome: 'pending', sentAt: Date.now() })
  }

  /** The first answer (a RECEIPT or any error) to a SEND arrived now. */
  answered (clientMsgId: string): void {
    const s = this.#sends.get(clientMsgId)
    if (s !== undefined && s.answeredAt === undefined) s.answeredAt = Date.now()
  }

  /** Milliseconds from first SEND to first answer, per answered SEND; and SENDs never answered. */
  answerTimes (): { readonly ms: number[], readonly unanswered: number } {
    const ms: number[] = []
    let unanswered = 0
    for (const s of this.#sends.values()) {
      if (s.answeredAt === undefined) unanswered++
      else ms.push(s.answeredAt - s.sentAt)
    }
    return { ms, unanswered }
  }

  receipted (clientMsgId: string): void {
    const s = this.#sends.get(clientMsgId)
    if (s !== undefined) s.outcome = 'receipted'
  }

  failed (clientMsgId: string): void {
    const s = this.#sends.get(clientMsgId)
    if (s !== undefined && s.outcome !== 'receipted') s.outcome = 'failed'
  }

  outcome (clientMsgId: string): SendOutcome | undefined {
    return this.#sends.get(clientMsgId)?.outcome
  }

  /** Pending SENDs of one sender (no RECEIPT, no error yet): a reconnecting client resends them with the same id. */
  pending (sender?: string): Array<{ clientMsgId: string, roomId: string }> {
    return [...this.#sends].filter(([, s]) => s.outcome === 'pending' && (sender === undefined || s.sender === sender)).map(([clientMsgId, s]) => ({ clientMsgId, roomId: s.roomId }))
  }

  /** A subscriber must end up with every stored message of the room after `afterSeq`. */
  expectStream (subscriber: string, roomId: string, afterSeq = 0): void {
    let m = this.#expectations.get(subscriber)
    if (m === undefined) {
      m = new Map()
      this.#expectations.set(subscriber, m)
    }
    m.set(roomId, afterSeq)
  }

  received (subscriber: string, roomId: string, seq: number): void {
    let rooms = this.#received.get(subscriber)
    if (rooms === undefined) {
      rooms = new Map()
      this.#received.set(subscriber, rooms)
    }
    let seqs = rooms.get(roomId)
    if (seqs === undefined) {
      seqs = []
      rooms.set(roomId, seqs)
    }
    seqs.push(seq)
  }

  /** Messages a subscriber paged in over REST after a resume answered `x-recovered:false` (no order check). */
  recoveredByRest (subscriber: string, roomId: string, seqs: readonly number[]): void {
    let rooms = this.#restRecovered.get(subscriber)
    if (rooms === undefined) {
      rooms = new Map()
      this.#restRecovered.set(subscriber, rooms)
    }
    const set = rooms.get(roomId) ?? new Set<number>()
    for (const s of seqs) set.add(s)
    rooms.set(roomId, set)
  }

  /** The highest seq a subscriber received in a room (for `since-seq` on reconnect), 0 if none. */
  lastSeq (subscriber: string, roomId: string): number {
    const seqs = this.#received.get(subscriber)?.get(roomId)
    return seqs === undefined || seqs.length === 0 ? 0 : Math.max(...seqs)
  }

  /** Compares the ledger with the stored messages of every room involved. */
  check (stored: readonly StoredMessage[]): LedgerReport {
    const problems: string[] = []
    const note = (p: string): void => { if (problems.length < 20) problems.push(p) }
    let lost = 0
    let duplicated = 0
    let outOfOrder = 0
    let gaps = 0
    let unexpected = 0

    const byRoom = new Map<string, StoredMessage[]>()
    const storedIds = new Map<string, number>()
    for (const m of stored) {
      let list = byRoom.get(m.roomId)
      if (list === undefined) {
        list = []
        byRoom.set(m.roomId, list)
      }
      list.push(m)
      if (m.type === undefined || m.type === 'TALK') {
        storedIds.set(m.clientMsgId, (storedIds.get(m.clientMsgId) ?? 0) + 1)
        if (!this.#sends.has(m.clientMsgId)) {
          unexpected++
          note(`stored but never sent: ${m.clientMsgId}`)
        }
      }
    }
    for (const [roomId, list] of byRoom) {
      const seqs = list.map((m) => m.seq).sort((a, b) => a - b)
      for (let i = 0; i < seqs.length; i++) {
        if (seqs[i] !== i + 1) {
          gaps++
          note(`room ${roomId}: seq ${String(seqs[i])} at position ${i + 1}`)
          break
        }
      }
    }
    for (const [id, count] of storedIds) {
      if (count > 1) {
        duplicated += count - 1
        note(`stored ${count} times: ${id}`)
      }
    }
    for (const [id, s] of this.#sends) {
      if (s.outcome === 'receipted' && !storedIds.has(id)) {
        lost++
        note(`receipted but not stored: ${id}`)
      }
    }
    for (const [subscriber, rooms] of this.#expectations) {
      for (const [roomId, afterSeq] of rooms) {
        const expected = (byRoom.get(roomId) ?? []).map((m) => m.seq).filter((s) => s > afterSeq)
        const got = this.#received.get(subscriber)?.get(roomId) ?? []
        const seen = new Set<number>()
        let last = afterSeq
        for (const seq of got) {
          if (seen.has(seq)) {
            duplicated++
            note(`${subscriber} got seq ${seq} of ${roomId} twice`)
          } else if (seq < last) {
            outOfOrder++
            note(`${subscriber} got seq ${seq} after ${last} in ${roomId}`)
          }
          seen.add(seq)
          last = Math.max(last, seq)
        }
        const viaRest = this.#restRecovered.get(subscriber)?.get(roomId)
        for (const seq of expected) {
          if (!seen.has(seq) && viaRest?.has(seq) !== true) {
            lost++
            note(`${subscriber} never got seq ${seq} of ${roomId}`)
          }
        }
      }
    }
    const outcomes = [...this.#sends.values()]
    return {
      sent: outcomes.length,
      receipted: outcomes.filter((s) => s.outcome === 'receipted').length,
      failed: outcomes.filter((s) => s.outcome === 'failed').length,
      unanswered: outcomes.filter((s) => s.outcome === 'pending').length,
      lost,
      duplicated,
      outOfOrder,
      gaps,
      unexpected,
      problems,
    }
  }
}
