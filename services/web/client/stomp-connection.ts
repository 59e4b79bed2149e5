import { Client, ReconnectionTimeMode, TickerStrategy, type IFrame, type IMessage, type StompSubscription } from '@stomp/stompjs'

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'server-restart'

export interface ConnectionStatus {
  readonly state: ConnectionState
  /** When the next attempt is due (epoch ms), for `server-restart`. */
  readonly retryAt?: number
}

/**
 * A subscription kept across reconnects: every CONNECTED re-subscribes it with fresh headers (a room stream
 * asks for `since-seq` = the highest seq shown, so the resume is gapless and duplicate-free).
 */
export interface StandingSubscription {
  readonly destination: string
  /** Extra SUBSCRIBE headers, computed at each (re)subscribe. */
  headers?: () => Record<string, string>
  onMessage: (message: IMessage) => void
  /**
   * After each SUBSCRIBE took effect (its RECEIPT came): from then on every change reaches `onMessage`, so a
   * snapshot read now (e.g. who is online) misses nothing.
   */
  onSubscribed?: () => void
}

export interface ConnectionOptions {
  readonly brokerURL: string
  /** A fresh access token, or undefined when signed out (the connection then stops). */
  readonly token: () => Promise<string | undefined>
  readonly onStatus: (status: ConnectionStatus) => void
  /** Every (re)connect, after the standing subscriptions were sent. */
  readonly onConnected: () => void
  /** RECEIPT frames (the page does its own bookkeeping by `receipt-id`, across reconnects). */
  readonly onReceipt: (frame: IFrame) => void
  /** `token-expired`, `token-revoked`, `unauthorized`: the session must refresh before the next CONNECT. */
  readonly onAuthError: (code: string) => void
  /** Any other ERROR frame, for the person to see. */
  readonly onError: (text: string) => void
}

/** Both directions; the server offers the same and drops a client silent for twice the interval. */
const HEARTBEAT_MS = 10_000
const RECONNECT_MIN_MS = 1_000
const RECONNECT_MAX_MS = 30_000
/** Spread reconnects so clients dropped together do not come back in step. */
const RECONNECT_JITTER_MS = 400

/**
 * The live STOMP session (SPEC section 4) over @stomp/stompjs: automatic reconnect with exponential backoff,
 * heart-beats 10 s both ways, standing subscriptions restored on every connect, ERROR frames mapped to what to
 * do next (`token-expired`: refresh first; `server-shutdown`: wait `reconnect-after-ms`), and the browser's
 * `offline`/`online` events acted on at once, because a dead socket otherwise shows only after the heart-beat
 * timeout.
 */
export class ChatConnection {
  readonly #opts: ConnectionOptions
  readonly #client: Client
  readonly #standing = new Map<string, StandingSubscription>()
  readonly #live = new Map<string, StompSubscription>()
  #notBefore = 0
  #subscriptionCount = 0
  #hasConnected = false
  #isStopped = true
  #status: ConnectionStatus = { state: 'idle' }
  readonly #onOffline = (): void => this.#wentOffline()
  readonly #onOnline = (): void => { void this.reconnectNow() }

  constructor (opts: ConnectionOptions) {
    this.#opts = opts
    this.#client = new Client({
      brokerURL: opts.brokerURL,
      heartbeatIncoming: HEARTBEAT_MS,
      heartbeatOutgoing: HEARTBEAT_MS,
      // Outgoing heart-beats from a worker: browsers throttle timers in background tabs, and a late heart-beat
      // gets the session closed by the server (it drops a client silent for 2 × 10 s).
      heartbeatStrategy: TickerStrategy.Worker,
      reconnectDelay: RECONNECT_MIN_MS,
      maxReconnectDelay: RECONNECT_MAX_MS,
      reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
      // A forced disconnect (offline, a dead heart-beat) closes at once instead of waiting for a close
      // handshake that a dead network never completes.
      discardWebsocketOnCommFailure: true,
      connectionTimeout: 15_000,
      beforeConnect: async () => { await this.#beforeConnect() },
      onConnect: () => this.#connected(),
      onStompError: (frame) => this.#stompError(frame),
      onWebSocketClose: () => this.#closed(),
      onUnhandledReceipt: (frame) => opts.onReceipt(frame),
    })
  }

  get status (): ConnectionStatus {
    return this.#status
  }

  get isConnected (): boolean {
    return this.#client.connected
  }

  start (): void {
    if (!this.#isStopped) return
    this.#isStopped = false
    addEventListener('offline', this.#onOffline)
    addEventListener('online', this.#onOnline)
    this.#client.activate()
  }

  async stop (): Promise<void> {
    this.#isStopped = true
    removeEventListener('offline', this.#onOffline)
    removeEventListener('online', this.#onOnline)
    this.#standing.clear()
    this.#live.clear()
    await this.#client.deactivate()
    this.#setStatus({ state: 'idle' })
  }

  /** Drops the socket (if any) and connects again now, skipping the backoff wait. */
  async reconnectNow (): Promise<void> {
    if (this.#isStopped) return
    await this.#client.deactivate({ force: true })
    if (!this.#isStopped) this.#client.activate()
  }

  /** Adds (or replaces) a standing subscription; subscribes at once when connected. */
  subscribe (key: string, sub: StandingSubscription): void {
    this.unsubscribe(key)
    this.#standing.set(key, sub)
    if (this.#client.connected) this.#subscribeNow(key, sub)
  }

  unsubscribe (key: string): void {
    this.#standing.delete(key)
    const live = this.#live.get(key)
    this.#live.delete(key)
    if (live !== undefined && this.#client.connected) {
      try {
        live.unsubscribe()
      } catch { /* the socket went away meanwhile: nothing to undo */ }
    }
  }

  /** Forgets a subscription the server already dropped (a `removed` notification): no UNSUBSCRIBE is sent. */
  forget (key: string): void {
    this.#standing.delete(key)
    this.#live.delete(key)
  }

  has (key: string): boolean {
    return this.#standing.has(key)
  }

  /** Sends a frame; false when there is no connection (the caller keeps it for later). */
  publish (destination: string, body: string, headers: Record<string, string> = {}): boolean {
    if (!this.#client.connected) return false
    try {
      this.#client.publish({ destination, body, headers })
      return true
    } catch {
      return false
    }
  }

  /**
   * Runs before every attempt. Two can overlap (an `online` event restarts the client while a scheduled attempt
   * waits here); stompjs opens one socket either way, so a late one must not report a state over `connected`.
   */
  async #beforeConnect (): Promise<void> {
    if (!navigator.onLine) {
      this.#progress({ state: 'offline' })
      await new Promise((resolve) => addEventListener('online', resolve, { once: true }))
    }
    const waitMs = this.#notBefore - Date.now()
    if (waitMs > 0) {
      this.#progress({ state: 'server-restart', retryAt: this.#notBefore })
      await sleep(waitMs)
    } else if (this.#hasConnected) {
      await sleep(Math.random() * RECONNECT_JITTER_MS)
    }
    this.#progress({ state: this.#hasConnected ? 'reconnecting' : 'connecting' })
    let token: string | undefined
    try {
      token = await this.#opts.token()
    } catch {
      token = undefined
    }
    if (token === undefined || this.#isStopped) {
      // Signed out meanwhile: stompjs sees the client inactive and does not open a socket.
      void this.#client.deactivate()
      return
    }
    this.#client.connectHeaders = { Authorization: `Bearer ${token}` }
  }

  #progress (status: ConnectionStatus): void {
    if (!this.#client.connected && !this.#isStopped) this.#setStatus(status)
  }

  #connected (): void {
    this.#hasConnected = true
    this.#notBefore = 0
    this.#setStatus({ state: 'connected' })
    for (const [key, sub] of this.#standing) this.#subscribeNow(key, sub)
    this.#opts.onConnected()
  }

  #subscribeNow (key: string, sub: StandingSubscription): void {
    // A fresh id per SUBSCRIBE: the server closes a session that reuses a live id, so never risk it. A frame
    // for a subscription replaced or dropped meanwhile is not for the current listener.
    try {
      const id = `${key}#${++this.#subscriptionCount}`
      const headers: Record<string, string> = { ...sub.headers?.(), id }
      const onSubscribed = sub.onSubscribed
      if (onSubscribed !== undefined) {
        headers.receipt = `sub-${id}`
        this.#client.watchForReceipt(headers.receipt, () => { if (this.#standing.get(key) === sub) onSubscribed() })
      }
      const live = this.#client.subscribe(sub.destination, (m) => {
        if (this.#standing.get(key) === sub) sub.onMessage(m)
      }, headers)
      this.#live.set(key, live)
    } catch { /* not connected after all: the next CONNECTED subscribes it */ }
  }

  #stompError (frame: IFrame): void {
    const code = frame.headers.message ?? 'error'
    switch (code) {
      case 'server-shutdown': {
        const ms = Number(frame.headers['reconnect-after-ms'])
        this.#notBefore = Date.now() + (Number.isFinite(ms) && ms > 0 ? Math.min(ms, 120_000) : RECONNECT_MIN_MS)
        return
      }
      case 'token-expired':
      case 'token-revoked':
      case 'unauthorized':
        this.#opts.onAuthError(code)
        return
      default:
        this.#opts.onError(frame.body === '' ? code : `${code}: ${frame.body}`)
    }
  }

  #closed (): void {
    this.#live.clear()
    if (this.#isStopped) {
      this.#setStatus({ state: 'idle' })
    } else if (!navigator.onLine) {
      this.#setStatus({ state: 'offline' })
    } else if (this.#notBefore > Date.now()) {
      this.#setStatus({ state: 'server-restart', retryAt: this.#notBefore })
    } else {
      this.#setStatus({ state: this.#hasConnected ? 'reconnecting' : 'connecting' })
    }
  }

  #wentOffline (): void {
    this.#setStatus({ state: 'offline' })
    // The socket cannot carry anything now; drop it so the resume starts as soon as the network is back.
    this.#client.forceDisconnect()
  }

  #setStatus (status: ConnectionStatus): void {
    this.#status = status
    this.#opts.onStatus(status)
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
