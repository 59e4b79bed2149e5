import type { Frame } from '@chat/protocol'
import { RawStompClient } from './stomp-client.js'
import type { Ledger } from './ledger.js'

/**
 * A chat client that writes everything it does into a Ledger: each SEND (with `receipt` = its
 * clientMsgId), each RECEIPT and each error, each MESSAGE's seq. After a disconnect, `reconnect` opens a
 * new session (on any edge), resubscribes with `since-seq` = the last seq it saw, and resends what was
 * never answered with the same clientMsgId, as SPEC section 5 expects of a client.
 */
/** Codes of /user/queue/errors after which a client sends the same message again. */
const RETRYABLE: ReadonlySet<string> = new Set(['broker-unavailable', 'rate-limited', 'unavailable'])

export class LedgerClient {
  readonly name: string
  readonly rooms: readonly string[]
  readonly #ledger: Ledger
  #token: string
  #client: RawStompClient | undefined
  #connects = 0

  readonly #fetchRange: ((roomId: string, afterSeq: number, beforeSeq: number) => Promise<number[]>) | undefined
  readonly #recovering = new Set<Promise<void>>()

  /**
   * `fetchRange`: how the client pages a gap over REST when a resume answers `x-recovered:false`
   * (the seqs of the room's messages with afterSeq < seq < beforeSeq).
   */
  constructor (name: string, ledger: Ledger, token: string, rooms: readonly string[], fetchRange?: (roomId: string, afterSeq: number, beforeSeq: number) => Promise<number[]>) {
    this.name = name
    this.#ledger = ledger
    this.#token = token
    this.rooms = rooms
    this.#fetchRange = fetchRange
    for (const r of rooms) ledger.expectStream(name, r)
  }

  get isOpen (): boolean {
    return this.#client !== undefined && this.#client.closeCode === undefined
  }

  get client (): RawStompClient | undefined {
    return this.#client
  }

  /** The token for the next `connect` (after a refresh). */
  useToken (token: string): void {
    this.#token = token
  }

  /** Connects to `wsUrl`, subscribes every room (resuming after the last seq seen) and resends unanswered SENDs. */
  async connect (wsUrl: string, options: { resend?: boolean } = {}): Promise<void> {
    this.#client?.close()
    const c = await RawStompClient.connect(wsUrl, this.#token)
    c.maxFrames = 1_000
    this.#client = c
    this.#connects++
    c.onFrame = (f) => this.#onFrame(f)
    c.send({ command: 'SUBSCRIBE', headers: { id: 'errors', destination: '/user/queue/errors' } })
    const receipts: Array<Promise<Frame>> = []
    for (const roomId of this.rooms) {
      const id = `sub-${this.#connects}-${roomId}`
      c.send({ command: 'SUBSCRIBE', headers: { id: `room-${roomId}`, destination: `/topic/rooms.${roomId}`, 'since-seq': String(this.#ledger.lastSeq(this.name, roomId)), receipt: id } })
      receipts.push(c.next((f) => f.headers['receipt-id'] === id, 15_000))
    }
    await Promise.all(receipts)
    if (options.resend ?? true) {
      for (const p of this.#ledger.pending(this.name)) this.#sendFrame(p.roomId, p.clientMsgId)
    }
  }

  /** Sends one message with a receipt; false when the socket is closed (the SEND stays pending for a resend). */
  send (roomId: string, clientMsgId: string): boolean {
    this.#ledger.sent(clientMsgId, roomId, this.name)
    return this.#sendFrame(roomId, clientMsgId)
  }

  /** Sends again, with the same ids, every SEND of this client's rooms still without an answer. Returns how many. */
  resendPending (): number {
    let n = 0
    for (const p of this.#ledger.pending(this.name)) {
      if (this.#sendFrame(p.roomId, p.clientMsgId)) n++
    }
    return n
  }

  close (): void {
    this.#client?.close()
  }

  #sendFrame (roomId: string, clientMsgId: string): boolean {
    const c = this.#client
    if (c === undefined || c.closeCode !== undefined || c.ws.readyState !== c.ws.OPEN) return false
    c.send({ command: 'SEND', headers: { destination: `/app/rooms.${roomId}`, receipt: clientMsgId }, body: JSON.stringify({ content: clientMsgId, clientMsgId }) })
    return true
  }

  #onFrame (f: Frame): void {
    if (f.command === 'RECEIPT') {
      const id = f.headers['receipt-id']
      if (id !== undefined) {
        this.#ledger.answered(id)
        this.#ledger.receipted(id)
      }
      return
    }
    if (f.command !== 'MESSAGE') return
    const destination = f.headers.destination ?? ''
    if (destination === '/user/queue/errors') {
      const id = f.headers['receipt-id']
      // A refusal that says "try again" stays pending: it is resent later with its id.
      if (id !== undefined) {
        this.#ledger.answered(id)
        if (!RETRYABLE.has(f.headers.code ?? '')) this.#ledger.failed(id)
      }
      return
    }
    if (destination.startsWith('/topic/rooms.')) {
      const roomId = destination.slice('/topic/rooms.'.length)
      const seq = Number(f.headers.seq)
      if (f.headers['x-recovered'] === 'false' && this.#fetchRange !== undefined) {
        const after = this.#ledger.lastSeq(this.name, roomId)
        if (seq > after + 1) {
          const p = this.#fetchRange(roomId, after, seq).then((seqs) => this.#ledger.recoveredByRest(this.name, roomId, seqs))
          this.#recovering.add(p)
          void p.finally(() => this.#recovering.delete(p))
        }
      }
      this.#ledger.received(this.name, roomId, seq)
    }
  }

  /** Resolves once every REST page-in started by a partial resume finished. */
  async settled (): Promise<void> {
    await Promise.all([...this.#recovering])
  }
}
