import { randomUUID } from 'node:crypto'
import {
  CloseCode, StompErrorCode, StompParser, bodyText, negotiateHeartbeat, negotiateVersion, parseDestination,
  serializeFrame, stompVersionOfSubprotocol, type Destination, type Frame, type StompVersion,
} from '@chat/protocol'
import { decodeSendBody, newId, type InboundMessage } from '@chat/schemas'
import { BusRejectedError } from '@chat/bus'
import { StoreUnavailableError } from '@chat/store'
import type { AccessClaims } from '@chat/tokens'
import type { SessionContext, SessionInfo } from './session-context.js'
import type { SessionTransport } from './transport.js'
import { FrameRejection, SessionFailure } from './frame-errors.js'
import { Transactions, type Transaction } from './transactions.js'
import {
  RoomSubscription, parseAckId, type AckMode, type EventSink, type Subscription, type SubscriptionOwner,
} from './subscriptions.js'

const SERVER_NAME = 'stomp-chat/0.1'
const ACK_MODES: ReadonlySet<string> = new Set(['auto', 'client', 'client-individual'])
const CLIENT_COMMANDS: ReadonlySet<string> = new Set([
  'CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT',
])

type State = 'awaiting-connect' | 'connected' | 'closing' | 'closed'

function requireHeader (frame: Frame, name: string): string {
  const v = frame.headers[name]
  if (v === undefined || v === '') throw new SessionFailure(StompErrorCode.MISSING_HEADER, `${frame.command} needs a '${name}' header`)
  return v
}

function bearerToken (frame: Frame): string | undefined {
  const auth = frame.headers.authorization ?? frame.headers.Authorization
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim())
    return m?.[1]
  }
  const passcode = frame.headers.passcode
  return passcode === undefined || passcode === '' ? undefined : passcode
}

/**
 * One STOMP session (SPEC section 4). Frames are handled strictly in arrival order; a frame that
 * waits (a token check, a membership read) holds the ones behind it, but a SEND waits for its broker
 * confirm outside that order so a session can have many publishes in flight. It never throws:
 * failures become an ERROR frame and a close, or a message on /user/queue/errors.
 *
 * The session owns its state and its deadlines (login timeout, heart-beats, token expiry, a slow socket): the
 * edge calls `tick` on a timer and the session decides. What it needs of the process comes through its
 * SessionContext.
 */
export class StompSession implements SubscriptionOwner, EventSink, SessionInfo {
  readonly id: string = randomUUID()
  readonly #ctx: SessionContext
  readonly #transport: SessionTransport
  readonly #parser: StompParser
  readonly #subprotocolVersion: StompVersion | undefined
  #state: State = 'awaiting-connect'
  #version: StompVersion = '1.2'
  #claims: AccessClaims | undefined
  readonly #subscriptions = new Map<string, Subscription>()
  readonly #transactions: Transactions
  readonly #queue: Frame[] = []
  #isPumping = false
  #inflight = 0
  #inflightWaiters: Array<() => void> = []
  readonly #openedAt: number
  #lastReceivedAt: number
  #lastSentAt: number
  /** Heart-beats negotiated at CONNECT; 0 = off. */
  #sendEveryMs = 0
  #expectEveryMs = 0
  /** When the socket's queue first went over the slow-consumer threshold, else 0. */
  #slowSince = 0
  /** The login timeout's close is queued. */
  #isTimingOut = false

  constructor (ctx: SessionContext, transport: SessionTransport, options: { subprotocol?: string } = {}) {
    this.#ctx = ctx
    this.#transport = transport
    this.#subprotocolVersion = stompVersionOfSubprotocol(options.subprotocol)
    this.#parser = new StompParser({ limits: { maxFrameBytes: ctx.limits.maxLoginFrameBytes } })
    this.#transactions = new Transactions(ctx.limits)
    this.#openedAt = ctx.now()
    this.#lastReceivedAt = this.#openedAt
    this.#lastSentAt = this.#openedAt
  }

  get state (): State {
    return this.#state
  }

  get isConnected (): boolean {
    return this.#state === 'connected'
  }

  /** The STOMP version negotiated at CONNECT (1.2 until then). */
  get version (): StompVersion {
    return this.#version
  }

  get userId (): string {
    return this.#claims?.sub ?? ''
  }

  get username (): string {
    return this.#claims?.name ?? ''
  }

  get deviceId (): string {
    return this.#claims?.dev ?? ''
  }

  /** The rooms whose stream this session subscribes to. */
  roomIds (): string[] {
    const rooms = new Set<string>()
    for (const s of this.#subscriptions.values()) if (s.kind === 'room') rooms.add(s.roomId)
    return [...rooms]
  }

  /** One WebSocket message from the client. */
  push (data: Buffer | string): void {
    if (this.#state === 'closing' || this.#state === 'closed') return
    this.#lastReceivedAt = this.#ctx.now()
    const events = this.#parser.push(data)
    for (const event of events) {
      if (event.type === 'heartbeat') continue
      this.#ctx.metrics.framesIn.inc({ command: event.type === 'frame' ? event.frame.command : 'invalid' })
      if (event.type === 'error') {
        this.#queue.push({ command: 'ERROR', headers: { code: event.code, detail: event.detail }, body: new Uint8Array() })
      } else {
        this.#queue.push(event.frame)
      }
    }
    if (!this.#isPumping && this.#queue.length > 0) void this.#pump()
  }

  /** Writes a frame to the client (SubscriptionOwner). */
  write (frame: Buffer): void {
    if (this.#state === 'closed') return
    this.#lastSentAt = this.#ctx.now()
    this.#transport.send(frame)
  }

  /** The socket closed (by the client, the network or us): release everything. Idempotent. */
  end (): void {
    if (this.#state === 'closed') return
    const wasConnected = this.#claims !== undefined
    this.#state = 'closed'
    this.#queue.length = 0
    this.#transactions.clear()
    const rooms = this.roomIds()
    const delivered: Array<{ roomId: string, seq: number }> = []
    for (const sub of this.#subscriptions.values()) {
      if (sub.kind === 'room' && sub.lastSent > 0) delivered.push({ roomId: sub.roomId, seq: sub.lastSent })
      this.#releaseSubscription(sub, true)
    }
    this.#subscriptions.clear()
    if (wasConnected) this.#ctx.sessionEnded(this, rooms, delivered)
    else this.#ctx.sessionAbandoned(this)
    this.#resolveInflightWaiters()
  }

  /** Ends the session with an ERROR frame carrying `code`, then closes the socket. */
  fail (code: StompErrorCode, detail: string, closeCode: number, extraHeaders: Record<string, string> = {}): void {
    if (this.#state === 'closing' || this.#state === 'closed') return
    this.#state = 'closing'
    this.#queue.length = 0
    this.#ctx.metrics.errors.inc({ code })
    this.#sendFrame('ERROR', { message: code, code, ...extraHeaders, 'content-type': 'text/plain' }, detail)
    this.#transport.close(closeCode, code)
  }

  /** Closes at once, without waiting for queued bytes (a slow consumer holding memory, a drain overrunning). */
  terminate (code: StompErrorCode): void {
    if (this.#state === 'closed') return
    this.#ctx.metrics.errors.inc({ code })
    this.#state = 'closing'
    this.#transport.terminate()
  }

  /** The edge is shutting down: ERROR server-shutdown telling the client when to come back, then close. */
  shutdown (reconnectAfterMs: number): void {
    this.fail(StompErrorCode.SERVER_SHUTDOWN, 'the server is restarting; reconnect after reconnect-after-ms', CloseCode.SERVER_RESTART, { 'reconnect-after-ms': String(reconnectAfterMs) })
  }

  /** The tokens of the session's device up to (not including) `version` were revoked. */
  revoke (version: number): void {
    const claims = this.#claims
    if (claims !== undefined && claims.ver < version) {
      this.fail(StompErrorCode.TOKEN_REVOKED, 'the tokens of this device were revoked', CloseCode.UNAUTHORIZED)
    }
  }

  /**
   * The session's deadlines, checked on the edge's timer: the login timeout, a socket slow for too long (or
   * holding too much at once), the token's expiry, the client's heart-beats; and our own heart-beat when due.
   */
  tick (now: number): void {
    if (this.#state === 'awaiting-connect') {
      if (!this.#isTimingOut && now - this.#openedAt >= this.#ctx.limits.loginTimeoutMs) this.#timeOutLogin()
      return
    }
    if (this.#state !== 'connected') return
    const l = this.#ctx.limits
    const buffered = this.#transport.bufferedAmount()
    if (buffered >= l.hardBufferBytes) {
      this.#closeSlow(buffered)
      return
    }
    if (buffered > l.slowConsumerBytes) {
      if (this.#slowSince === 0) {
        this.#slowSince = now
      } else if (now - this.#slowSince >= l.slowConsumerMs) {
        this.#closeSlow(buffered)
        return
      }
    } else {
      this.#slowSince = 0
    }
    if (now >= this.#expiresAt()) {
      this.fail(StompErrorCode.TOKEN_EXPIRED, 'the access token expired; refresh it and connect again', CloseCode.UNAUTHORIZED)
      return
    }
    if (this.#expectEveryMs > 0 && now - this.#lastReceivedAt > 2 * this.#expectEveryMs) {
      this.fail(StompErrorCode.HEARTBEAT_TIMEOUT, `nothing received for ${now - this.#lastReceivedAt} ms`, CloseCode.HEARTBEAT_TIMEOUT)
      return
    }
    if (this.#sendEveryMs > 0 && now - this.#lastSentAt >= this.#sendEveryMs - this.#ctx.tickMs) this.write(EOL)
  }

  /** Resolves once no SEND of this session waits for a broker confirm. */
  async settled (): Promise<void> {
    if (this.#inflight === 0) return
    await new Promise<void>((resolve) => this.#inflightWaiters.push(resolve))
  }

  /** The user was removed from a room: drop its subscriptions there and say so on the notifications queue. */
  removedFromRoom (roomId: string): void {
    if (this.#state !== 'connected') return
    let removed = false
    for (const [id, sub] of this.#subscriptions) {
      if ((sub.kind === 'room' || sub.kind === 'presence' || sub.kind === 'typing') && sub.roomId === roomId) {
        this.#subscriptions.delete(id)
        this.#releaseSubscription(sub)
        removed = true
      }
    }
    if (removed) this.notify(JSON.stringify({ type: 'removed', roomId }))
  }

  /** A message on /user/queue/notifications, if subscribed (EventSink). */
  notify (body: string | Buffer): void {
    const sub = this.#userQueue('notifications')
    if (sub === undefined || this.#state !== 'connected') return
    this.#sendFrame('MESSAGE', {
      destination: '/user/queue/notifications',
      subscription: sub.id,
      'message-id': randomUUID(),
      'content-type': 'application/json',
    }, body)
  }

  /** An event MESSAGE on a topic subscription (presence, typing), with the event's shared bytes (EventSink). */
  writeEvent (subscriptionId: string, destination: string, body: Buffer): void {
    if (this.#state !== 'connected') return
    this.#sendFrame('MESSAGE', {
      destination,
      subscription: subscriptionId,
      'message-id': randomUUID(),
      'content-type': 'application/json',
    }, body)
  }

  // --- deadlines ------------------------------------------------------------------------------

  #timeOutLogin (): void {
    // Closing costs a little each (an ERROR frame, a close handshake): a flood of sockets that never log in
    // reaches its timeout together and is closed as paced work, so the sessions that do work never stall behind it.
    const timeoutMs = this.#ctx.limits.loginTimeoutMs
    this.#isTimingOut = this.#ctx.closeLater(() => {
      if (this.#state === 'awaiting-connect') this.fail(StompErrorCode.LOGIN_TIMEOUT, `no CONNECT within ${timeoutMs} ms`, CloseCode.LOGIN_TIMEOUT)
    })
  }

  #closeSlow (buffered: number): void {
    this.#ctx.metrics.slowConsumerCloses.inc()
    this.#ctx.log.info({ sessionId: this.id, buffered }, 'closing a slow consumer')
    this.terminate(StompErrorCode.SLOW_CONSUMER)
  }

  /** When the access token expires (epoch ms). */
  #expiresAt (): number {
    return this.#claims === undefined ? Number.POSITIVE_INFINITY : this.#claims.exp * 1000
  }

  // --- frame handling -------------------------------------------------------------------------

  async #pump (): Promise<void> {
    this.#isPumping = true
    try {
      while (this.#queue.length > 0 && (this.#state === 'awaiting-connect' || this.#state === 'connected')) {
        const frame = this.#queue.shift() as Frame
        try {
          const pending = this.#handle(frame)
          if (pending !== undefined) await pending
        } catch (err) {
          this.#onHandlerError(frame, err)
        }
      }
    } finally {
      this.#isPumping = false
    }
  }

  #onHandlerError (frame: Frame, err: unknown): void {
    const log = this.#ctx.log
    if (err instanceof SessionFailure) {
      const receipt = frame.headers.receipt
      this.fail(err.code, err.message, err.closeCode, receipt === undefined ? {} : { 'receipt-id': receipt })
    } else if (err instanceof FrameRejection) {
      this.#rejectFrame(frame.headers.receipt, err.code, err.message)
    } else if (err instanceof StoreUnavailableError && this.#state === 'connected') {
      log.warn({ err, sessionId: this.id, command: frame.command }, 'database unavailable')
      this.#rejectFrame(frame.headers.receipt, StompErrorCode.UNAVAILABLE, 'the database is unavailable; send again with the same clientMsgId')
    } else if (this.#state === 'connected') {
      log.error({ err, sessionId: this.id, command: frame.command }, 'frame handler failed')
      this.#rejectFrame(frame.headers.receipt, StompErrorCode.INTERNAL_ERROR, 'internal error')
    } else {
      log.error({ err, sessionId: this.id, command: frame.command }, 'frame handler failed')
      this.fail(StompErrorCode.INTERNAL_ERROR, 'internal error', CloseCode.SERVER_RESTART)
    }
  }

  #handle (frame: Frame): Promise<void> | undefined {
    if (frame.command === 'ERROR') {
      // A parse error, queued in order behind the frames before it.
      const code = frame.headers.code as StompErrorCode
      const closeCode = code === StompErrorCode.FRAME_TOO_LARGE || code === StompErrorCode.BUFFER_OVERFLOW ? CloseCode.TOO_LARGE : CloseCode.PROTOCOL_ERROR
      this.fail(code, frame.headers.detail ?? 'malformed frame', closeCode)
      return undefined
    }
    if (!CLIENT_COMMANDS.has(frame.command)) {
      throw new SessionFailure(StompErrorCode.UNKNOWN_COMMAND, `${frame.command} is not a client frame`)
    }
    if (this.#state === 'awaiting-connect') {
      if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        throw new SessionFailure(StompErrorCode.NOT_CONNECTED, `${frame.command} before CONNECT`)
      }
      return this.#connect(frame)
    }
    switch (frame.command) {
      case 'CONNECT':
      case 'STOMP':
        throw new SessionFailure(StompErrorCode.ALREADY_CONNECTED, 'the session is already connected')
      case 'SEND': return this.#send(frame)
      case 'SUBSCRIBE': return this.#subscribe(frame)
      case 'UNSUBSCRIBE': this.#unsubscribe(frame); return undefined
      case 'ACK':
      case 'NACK': this.#ack(frame); return undefined
      case 'BEGIN': this.#begin(frame); return undefined
      case 'COMMIT': return this.#commit(frame)
      case 'ABORT': this.#abort(frame); return undefined
      case 'DISCONNECT': return this.#disconnect(frame)
      default:
        throw new SessionFailure(StompErrorCode.UNKNOWN_COMMAND, `${frame.command} is not a client frame`)
    }
  }

  async #connect (frame: Frame): Promise<void> {
    const accept = frame.headers['accept-version']
    const version = accept === undefined ? (this.#subprotocolVersion ?? '1.0') : negotiateVersion(accept)
    if (version === undefined) {
      throw new SessionFailure(StompErrorCode.UNSUPPORTED_VERSION, 'supported versions are 1.0, 1.1 and 1.2')
    }
    const limits = this.#ctx.limits
    const hbMs = limits.heartbeatMs
    const hb = negotiateHeartbeat(frame.headers['heart-beat'], { sendMs: hbMs, receiveMs: hbMs })
    if (!hb.ok) throw new SessionFailure(StompErrorCode.MALFORMED_FRAME, 'heart-beat must be two non-negative integers')
    const token = bearerToken(frame)
    if (token === undefined) {
      throw new SessionFailure(StompErrorCode.UNAUTHORIZED, 'CONNECT needs Authorization: Bearer <accessToken> (or the token as passcode)', CloseCode.UNAUTHORIZED)
    }
    let result
    try {
      result = await this.#ctx.verify(token)
    } catch (err) {
      this.#ctx.log.warn({ err, sessionId: this.id }, 'could not check the token')
      throw new SessionFailure(StompErrorCode.UNAVAILABLE, 'the token could not be checked; try again shortly', CloseCode.OVERLOADED)
    }
    if (this.#state !== 'awaiting-connect') return
    if (!result.ok) throw new SessionFailure(result.code, result.detail, CloseCode.UNAUTHORIZED)
    if (this.#ctx.isDraining()) {
      throw new SessionFailure(StompErrorCode.SERVER_SHUTDOWN, 'this server is shutting down', CloseCode.SERVER_RESTART)
    }
    this.#claims = result.claims
    this.#version = version
    this.#sendEveryMs = hb.sendEveryMs
    this.#expectEveryMs = hb.expectEveryMs
    // The client learns the agreed interval from CONNECTED: its silence counts from then, not from its CONNECT
    // (checking the token may have taken a while).
    this.#lastReceivedAt = this.#ctx.now()
    this.#parser.setVersion(version)
    this.#parser.setLimits({ maxFrameBytes: limits.maxFrameBytes })
    this.#state = 'connected'
    this.#ctx.sessionConnected(this)
    this.#sendFrame('CONNECTED', {
      version,
      'heart-beat': `${hbMs},${hbMs}`,
      session: this.id,
      server: SERVER_NAME,
      'user-name': result.claims.name,
    })
  }

  // SEND ------------------------------------------------------------------------------------

  async #send (frame: Frame): Promise<void> {
    const destinationHeader = requireHeader(frame, 'destination')
    const parsed = parseDestination(destinationHeader)
    if (!parsed.ok) throw new FrameRejection(StompErrorCode.UNKNOWN_DESTINATION, `cannot send to ${destinationHeader}`)
    const txId = frame.headers.transaction
    const tx = txId === undefined ? undefined : this.#transactions.get(txId)
    const receipt = frame.headers.receipt
    const d = parsed.destination
    switch (d.kind) {
      case 'send': {
        const message = await this.#admitChatMessage(frame, d.roomId)
        if (tx !== undefined) {
          this.#transactions.holdSend(tx, { message, receipt })
          return
        }
        void this.#publish(message, receipt)
        return
      }
      case 'send-typing': {
        this.#takeToken()
        await this.#requireMember(d.roomId)
        const body = JSON.stringify({ type: 'typing', roomId: d.roomId, userId: this.userId, username: this.username, at: new Date(this.#ctx.now()).toISOString() })
        this.#ctx.publishTyping(d.roomId, body)
        this.#receipt(receipt)
        return
      }
      case 'send-read': {
        const seq = parseReadBody(bodyText(frame))
        if (seq === undefined) throw new FrameRejection(StompErrorCode.INVALID_BODY, 'body must be {"seq": <non-negative integer>}')
        if (tx !== undefined) {
          await this.#requireMember(d.roomId)
          this.#transactions.holdRead(tx, { roomId: d.roomId, seq })
          return
        }
        await this.#markRead(d.roomId, seq)
        this.#receipt(receipt)
        return
      }
      case 'session-token': {
        await this.#refreshToken(bodyText(frame).trim())
        this.#receipt(receipt)
        return
      }
      case 'room':
      case 'room-presence':
      case 'room-typing':
      case 'user-queue':
        throw new FrameRejection(StompErrorCode.UNKNOWN_DESTINATION, `cannot send to ${destinationHeader}; send to /app/rooms.{roomId}`)
    }
  }

  #takeToken (): void {
    if (!this.#ctx.takeSendToken(this.userId)) {
      throw new FrameRejection(StompErrorCode.RATE_LIMITED, `more than ${this.#ctx.limits.sendRate} SENDs per second`)
    }
  }

  async #requireMember (roomId: string): Promise<void> {
    const answer = this.#ctx.isMember(roomId, this.userId)
    const isMember = typeof answer === 'boolean' ? answer : await answer
    if (!isMember) throw new FrameRejection(StompErrorCode.FORBIDDEN, 'not a member of this room')
  }

  async #admitChatMessage (frame: Frame, roomId: string): Promise<InboundMessage> {
    this.#takeToken()
    const decoded = decodeSendBody(bodyText(frame))
    if (!decoded.ok) throw new FrameRejection(StompErrorCode.INVALID_BODY, 'body must be {"content": "1..8000 characters", "type"?: "TALK", "clientMsgId"?: "[A-Za-z0-9_.:-]{1,64}"}')
    await this.#requireMember(roomId)
    return {
      v: 1,
      id: newId(),
      roomId,
      senderId: this.userId,
      senderName: this.username,
      type: 'TALK',
      content: decoded.value.content,
      clientMsgId: decoded.value.clientMsgId ?? newId(),
      sentAt: new Date(this.#ctx.now()).toISOString(),
    }
  }

  /** Publishes with a confirm; RECEIPT on the confirm, an error on /user/queue/errors otherwise. */
  #publish (message: InboundMessage, receipt: string | undefined): Promise<boolean> {
    this.#inflight++
    const startedAt = performance.now()
    return this.#ctx.publish(message).then(() => {
      this.#ctx.metrics.sendLatency.observe((performance.now() - startedAt) / 1000)
      if (receipt !== undefined) {
        this.#sendFrame('RECEIPT', { 'receipt-id': receipt, 'message-id': message.id, 'client-msg-id': message.clientMsgId })
      }
      return true
    }, (err: unknown) => {
      const code = err instanceof BusRejectedError ? StompErrorCode.BROKER_REJECTED : StompErrorCode.BROKER_UNAVAILABLE
      this.#ctx.log.warn({ err, sessionId: this.id, roomId: message.roomId }, 'publish failed')
      this.#rejectFrame(receipt, code, code === StompErrorCode.BROKER_REJECTED ? 'the broker refused the message' : 'the broker is unavailable; send again with the same clientMsgId', message.clientMsgId)
      return false
    }).finally(() => {
      this.#inflight--
      if (this.#inflight === 0) this.#resolveInflightWaiters()
    })
  }

  async #markRead (roomId: string, seq: number): Promise<void> {
    await this.#requireMember(roomId)
    await this.#ctx.markRead(this.userId, roomId, seq)
  }

  async #refreshToken (token: string): Promise<void> {
    if (token === '') throw new FrameRejection(StompErrorCode.INVALID_BODY, 'the body must be the new access token')
    const result = await this.#ctx.verify(token)
    if (!result.ok) throw new FrameRejection(result.code, result.detail)
    const claims = this.#claims
    if (claims === undefined || result.claims.sub !== claims.sub || result.claims.dev !== claims.dev) {
      throw new FrameRejection(StompErrorCode.UNAUTHORIZED, 'the token belongs to another user or device')
    }
    this.#claims = result.claims
  }

  // SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------------------------------

  async #subscribe (frame: Frame): Promise<void> {
    const id = requireHeader(frame, 'id')
    const destinationHeader = requireHeader(frame, 'destination')
    const maxSubscriptions = this.#ctx.limits.maxSubscriptions
    if (this.#subscriptions.has(id)) throw new SessionFailure(StompErrorCode.DUPLICATE_SUBSCRIPTION, `subscription id '${id}' is in use`)
    if (this.#subscriptions.size >= maxSubscriptions) {
      throw new SessionFailure(StompErrorCode.TOO_MANY_SUBSCRIPTIONS, `at most ${maxSubscriptions} subscriptions a session`)
    }
    const ack = frame.headers.ack ?? 'auto'
    if (!ACK_MODES.has(ack)) throw new SessionFailure(StompErrorCode.MALFORMED_FRAME, 'ack must be auto, client or client-individual')
    const parsed = parseDestination(destinationHeader)
    if (!parsed.ok) throw new FrameRejection(StompErrorCode.UNKNOWN_DESTINATION, `cannot subscribe to ${destinationHeader}`)
    const d: Destination = parsed.destination
    const receipt = frame.headers.receipt
    switch (d.kind) {
      case 'room': {
        const sinceHeader = frame.headers['since-seq']
        let since: number | undefined
        if (sinceHeader !== undefined) {
          since = Number(sinceHeader)
          if (!/^\d{1,10}$/.test(sinceHeader) || !Number.isSafeInteger(since)) {
            throw new FrameRejection(StompErrorCode.INVALID_BODY, 'since-seq must be a non-negative integer')
          }
        }
        await this.#requireMember(d.roomId)
        if (this.#subscriptions.has(id) || this.#state !== 'connected') return
        const sub = new RoomSubscription(this, id, d.roomId, ack as AckMode, 0, since !== undefined)
        this.#subscriptions.set(id, sub)
        try {
          await this.#ctx.subscribeRoom(sub, since)
        } catch (err) {
          if (this.#subscriptions.get(id) === sub) {
            this.#subscriptions.delete(id)
            this.#releaseSubscription(sub)
          }
          throw err
        }
        if (this.#subscriptions.get(id) === sub) this.#ctx.roomJoined(this, d.roomId)
        break
      }
      case 'room-presence':
      case 'room-typing': {
        await this.#requireMember(d.roomId)
        if (this.#subscriptions.has(id) || this.#state !== 'connected') return
        const sub = { kind: d.kind === 'room-presence' ? 'presence' : 'typing', id, roomId: d.roomId } as const
        this.#subscriptions.set(id, sub)
        try {
          await this.#ctx.subscribeTopic(this, sub)
        } catch (err) {
          if (this.#subscriptions.get(id) === sub) this.#subscriptions.delete(id)
          throw new FrameRejection(StompErrorCode.BROKER_UNAVAILABLE, 'could not subscribe: the broker is unavailable', { cause: err })
        }
        break
      }
      case 'user-queue': {
        if (this.#userQueue(d.queue) !== undefined) throw new FrameRejection(StompErrorCode.DUPLICATE_SUBSCRIPTION, `already subscribed to /user/queue/${d.queue}`)
        const sub = { kind: d.queue, id } as const
        this.#subscriptions.set(id, sub)
        if (d.queue === 'notifications') {
          try {
            await this.#ctx.subscribeUser(this, this.userId)
          } catch (err) {
            if (this.#subscriptions.get(id) === sub) this.#subscriptions.delete(id)
            throw new FrameRejection(StompErrorCode.BROKER_UNAVAILABLE, 'could not subscribe: the broker is unavailable', { cause: err })
          }
        }
        break
      }
      case 'send':
      case 'send-typing':
      case 'send-read':
      case 'session-token':
        throw new FrameRejection(StompErrorCode.UNKNOWN_DESTINATION, `cannot subscribe to ${destinationHeader}`)
    }
    this.#receipt(receipt)
  }

  #unsubscribe (frame: Frame): void {
    const id = requireHeader(frame, 'id')
    const sub = this.#subscriptions.get(id)
    if (sub === undefined) throw new FrameRejection(StompErrorCode.UNKNOWN_SUBSCRIPTION, `no subscription '${id}'`)
    this.#subscriptions.delete(id)
    this.#releaseSubscription(sub)
    this.#receipt(frame.headers.receipt)
  }

  /** `isEnding`: the whole session ends, and `sessionEnded` clears its presence for all rooms at once. */
  #releaseSubscription (sub: Subscription, isEnding = false): void {
    switch (sub.kind) {
      case 'room':
        sub.close()
        this.#ctx.unsubscribeRoom(sub)
        if (!isEnding && !this.#hasRoomSubscription(sub.roomId)) this.#ctx.roomLeft(this, sub.roomId)
        break
      case 'presence':
      case 'typing':
        this.#ctx.unsubscribeTopic(this, sub)
        break
      case 'notifications':
        this.#ctx.unsubscribeUser(this, this.userId)
        break
      case 'errors':
        break
    }
  }

  #userQueue (queue: 'notifications' | 'errors'): Subscription | undefined {
    for (const s of this.#subscriptions.values()) if (s.kind === queue) return s
    return undefined
  }

  // ACK / NACK ---------------------------------------------------------------------------------

  #ack (frame: Frame): void {
    const idHeader = this.#version === '1.2' ? requireHeader(frame, 'id') : requireHeader(frame, 'message-id')
    const txId = frame.headers.transaction
    const tx = txId === undefined ? undefined : this.#transactions.get(txId)
    if (frame.command === 'ACK') {
      // ACK of a room MESSAGE moves the read marker (SPEC section 4); other ids (1.0/1.1 message ids) carry no seq.
      const target = parseAckId(idHeader)
      if (target !== undefined && this.#hasRoomSubscription(target.roomId)) {
        if (tx !== undefined) this.#transactions.holdRead(tx, target)
        else this.#ctx.markReadLater(this.userId, target.roomId, target.seq)
      }
    }
    this.#receipt(frame.headers.receipt)
  }

  #hasRoomSubscription (roomId: string): boolean {
    for (const s of this.#subscriptions.values()) if (s.kind === 'room' && s.roomId === roomId) return true
    return false
  }

  // Transactions --------------------------------------------------------------------------------

  #begin (frame: Frame): void {
    this.#transactions.begin(requireHeader(frame, 'transaction'))
    this.#receipt(frame.headers.receipt)
  }

  async #commit (frame: Frame): Promise<void> {
    const tx: Transaction = this.#transactions.commit(requireHeader(frame, 'transaction'))
    // Published in order; each confirmed (and receipted) before the COMMIT's RECEIPT.
    const results = tx.sends.map((s) => this.#publish(s.message, s.receipt))
    for (const r of tx.reads) this.#ctx.markReadLater(this.userId, r.roomId, r.seq)
    const receipt = frame.headers.receipt
    void Promise.all(results).then((oks) => {
      if (oks.every(Boolean)) this.#receipt(receipt)
      else this.#rejectFrame(receipt, StompErrorCode.BROKER_UNAVAILABLE, 'some messages of the transaction were not published')
    })
  }

  #abort (frame: Frame): void {
    this.#transactions.abort(requireHeader(frame, 'transaction'))
    this.#receipt(frame.headers.receipt)
  }

  // DISCONNECT ---------------------------------------------------------------------------------

  async #disconnect (frame: Frame): Promise<void> {
    this.#transactions.clear()
    await this.settled()
    if (this.#state !== 'connected') return
    this.#receipt(frame.headers.receipt)
    this.#state = 'closing'
    this.#transport.close(CloseCode.NORMAL, 'disconnect')
  }

  // Output helpers -----------------------------------------------------------------------------

  #sendFrame (command: 'CONNECTED' | 'MESSAGE' | 'RECEIPT' | 'ERROR', headers: Record<string, string>, body?: string | Buffer): void {
    this.#ctx.metrics.framesOut.inc({ command })
    this.write(serializeFrame({ command, headers, ...(body === undefined ? {} : { body }) }, this.#version))
  }

  #receipt (receipt: string | undefined): void {
    if (receipt !== undefined && this.#state === 'connected') this.#sendFrame('RECEIPT', { 'receipt-id': receipt })
  }

  /** A failed frame, the connection open: a MESSAGE on /user/queue/errors (SPEC section 4). */
  #rejectFrame (receipt: string | undefined, code: StompErrorCode, message: string, clientMsgId?: string): void {
    if (this.#state !== 'connected') return
    this.#ctx.metrics.errors.inc({ code })
    const sub = this.#userQueue('errors')
    const headers: Record<string, string> = {
      destination: '/user/queue/errors',
      'message-id': randomUUID(),
      code,
      'content-type': 'application/json',
    }
    // Without a subscription to /user/queue/errors the frame still goes out (clients see it as an
    // unhandled message): never silence for a SEND that asked for a receipt.
    if (sub !== undefined) headers.subscription = sub.id
    if (receipt !== undefined) headers['receipt-id'] = receipt
    const body: Record<string, string | null> = { code, message, receiptId: receipt ?? null }
    if (clientMsgId !== undefined) body.clientMsgId = clientMsgId
    this.#sendFrame('MESSAGE', headers, JSON.stringify(body))
  }

  #resolveInflightWaiters (): void {
    const waiters = this.#inflightWaiters
    this.#inflightWaiters = []
    for (const w of waiters) w()
  }
}

const EOL = Buffer.from('\n')

function parseReadBody (text: string): number | undefined {
  try {
    const v = JSON.parse(text) as unknown
    if (typeof v !== 'object' || v === null) return undefined
    const keys = Object.keys(v)
    const seq = (v as { seq?: unknown }).seq
    if (keys.length !== 1 || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined
    return seq
  } catch {
    return undefined
  }
}
