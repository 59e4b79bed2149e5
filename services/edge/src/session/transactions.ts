import { StompErrorCode } from '@chat/protocol'
import type { InboundMessage } from '@chat/schemas'
import { SessionFailure } from './frame-errors.js'

/** A SEND held until COMMIT, with the receipt it asked for. */
export interface HeldSend {
  readonly message: InboundMessage
  readonly receipt: string | undefined
}

/** A read marker (an ACK or a SEND to `.read`) held until COMMIT. */
export interface HeldRead {
  readonly roomId: string
  readonly seq: number
}

/** What one open transaction holds until COMMIT publishes it or ABORT drops it. */
export class Transaction {
  readonly id: string
  readonly sends: HeldSend[] = []
  readonly reads: HeldRead[] = []

  constructor (id: string) {
    this.id = id
  }

  get frameCount (): number {
    return this.sends.length + this.reads.length
  }
}

export interface TransactionLimits {
  /** Open transactions a session. */
  readonly maxTransactions: number
  /** Frames one transaction holds. */
  readonly maxTransactionFrames: number
}

/**
 * A session's open transactions (STOMP 1.2 BEGIN / COMMIT / ABORT): SENDs and read markers carrying a
 * `transaction` header are held here and handed out together at COMMIT, dropped at ABORT and at disconnect.
 * Breaking the protocol (an unknown or reused id, too many transactions or frames) throws a SessionFailure.
 */
export class Transactions {
  readonly #limits: TransactionLimits
  readonly #open = new Map<string, Transaction>()

  constructor (limits: TransactionLimits) {
    this.#limits = limits
  }

  get size (): number {
    return this.#open.size
  }

  begin (id: string): void {
    if (this.#open.has(id)) throw new SessionFailure(StompErrorCode.DUPLICATE_TRANSACTION, `transaction '${id}' is already open`)
    if (this.#open.size >= this.#limits.maxTransactions) {
      throw new SessionFailure(StompErrorCode.DUPLICATE_TRANSACTION, `at most ${this.#limits.maxTransactions} open transactions`)
    }
    this.#open.set(id, new Transaction(id))
  }

  /** The open transaction `id`. */
  get (id: string): Transaction {
    const tx = this.#open.get(id)
    if (tx === undefined) throw new SessionFailure(StompErrorCode.UNKNOWN_TRANSACTION, `no open transaction '${id}'`)
    return tx
  }

  holdSend (tx: Transaction, send: HeldSend): void {
    this.#checkRoom(tx)
    tx.sends.push(send)
  }

  holdRead (tx: Transaction, read: HeldRead): void {
    this.#checkRoom(tx)
    tx.reads.push(read)
  }

  /** Closes `id` for COMMIT and returns what it held. */
  commit (id: string): Transaction {
    const tx = this.get(id)
    this.#open.delete(id)
    return tx
  }

  abort (id: string): void {
    this.get(id)
    this.#open.delete(id)
  }

  /** Drops every open transaction (disconnect). */
  clear (): void {
    this.#open.clear()
  }

  #checkRoom (tx: Transaction): void {
    if (tx.frameCount >= this.#limits.maxTransactionFrames) {
      throw new SessionFailure(StompErrorCode.FRAME_TOO_LARGE, `a transaction holds at most ${this.#limits.maxTransactionFrames} frames`)
    }
  }
}
