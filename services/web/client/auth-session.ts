import { ApiError, type ApiAuth, type ApiClient } from './api-client.js'
import { newId } from './ids.js'
import type { Me, TokenPair } from './wire.js'

const SESSION_KEY = 'chat.session'
const DEVICE_KEY = 'chat.deviceId'
/** Refresh this long before the access token expires (the server's clock tolerance is far smaller). */
const REFRESH_MARGIN_MS = 60_000
/** Never schedule a refresh sooner than this, so a clock gone wrong cannot spin. */
const MIN_REFRESH_DELAY_MS = 5_000

interface StoredSession {
  readonly accessToken: string
  readonly refreshToken: string
  /** Epoch ms, from `expiresIn` at the time of issue (so the client's clock offset does not matter). */
  readonly expiresAt: number
  readonly userId: string
  readonly username: string
}

export type SessionEndReason = 'logout' | 'expired'

/**
 * Who is signed in, and their tokens. Tokens live in sessionStorage: each tab is its own refresh-token
 * family, so two tabs never race to rotate the same refresh token (the loser would present a spent
 * token, which the server treats as theft and answers by signing the whole device out), and a closed
 * tab leaves no token behind. The device id is stable across tabs and restarts (localStorage), so the
 * server sees one device per browser. Refreshes are single-flight and happen before expiry and after a 401.
 */
export class AuthSession implements ApiAuth {
  readonly #api: ApiClient
  readonly #store: Storage
  readonly #deviceStore: Storage
  #session: StoredSession | undefined
  #refreshing: Promise<boolean> | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  readonly #tokenListeners: Array<(accessToken: string) => void> = []
  readonly #endListeners: Array<(reason: SessionEndReason) => void> = []

  constructor (api: ApiClient, stores: { session?: Storage, device?: Storage } = {}) {
    this.#api = api
    this.#store = stores.session ?? sessionStorage
    this.#deviceStore = stores.device ?? localStorage
    this.#session = this.#load()
    if (this.#session !== undefined) this.#schedule()
  }

  get user (): Me | undefined {
    return this.#session === undefined ? undefined : { userId: this.#session.userId, username: this.#session.username }
  }

  /** The access token as stored, without refreshing (for CONNECT after `token()` ran). */
  get currentToken (): string | undefined {
    return this.#session?.accessToken
  }

  /** A new access token was obtained (the live STOMP session must be told). Returns the way to stop listening. */
  onToken (listener: (accessToken: string) => void): () => void {
    this.#tokenListeners.push(listener)
    return () => {
      const i = this.#tokenListeners.indexOf(listener)
      if (i >= 0) this.#tokenListeners.splice(i, 1)
    }
  }

  /** The session ended: logged out here, or its tokens are no longer accepted. */
  onEnd (listener: (reason: SessionEndReason) => void): void {
    this.#endListeners.push(listener)
  }

  deviceId (): string {
    let id = this.#deviceStore.getItem(DEVICE_KEY)
    if (id === null || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) {
      id = newId()
      this.#deviceStore.setItem(DEVICE_KEY, id)
    }
    return id
  }

  async register (username: string, password: string): Promise<void> {
    await this.#api.anonymous('/auth/register', { username, password })
    await this.login(username, password)
  }

  async login (username: string, password: string): Promise<void> {
    const pair = await this.#api.anonymous<TokenPair>('/auth/login', { username, password, deviceId: this.deviceId() })
    this.#set(pair, username)
    // The name as the server spells it (login accepts any case).
    const me = await this.#api.get<Me>('/me')
    if (this.#session !== undefined) this.#save({ ...this.#session, username: me.username })
  }

  /** Revokes this device's tokens on the server (best effort) and forgets them here. */
  async logout (): Promise<void> {
    if (this.#session === undefined) return
    try {
      await this.#api.post('/auth/logout')
    } finally {
      this.#end('logout')
    }
  }

  /** ApiAuth: the token for the next request, refreshed first when it expires within the margin. */
  async token (): Promise<string | undefined> {
    const s = this.#session
    if (s === undefined) return undefined
    if (s.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2) await this.refresh()
    return this.#session?.accessToken
  }

  /** ApiAuth: after a 401, try once to get a new token. */
  async recover (): Promise<boolean> {
    return await this.refresh()
  }

  /** The server said the token expired (STOMP ERROR token-expired): the next `token()` refreshes. */
  markExpired (): void {
    if (this.#session !== undefined) this.#session = { ...this.#session, expiresAt: 0 }
  }

  /**
   * Trades the refresh token for a new pair (the old one is spent). Single-flight: concurrent callers share
   * one request, so one tab never presents the same refresh token twice. A 401 ends the session; a network
   * failure keeps it (the next try may work).
   */
  async refresh (): Promise<boolean> {
    this.#refreshing ??= this.#doRefresh().finally(() => { this.#refreshing = undefined })
    return await this.#refreshing
  }

  async #doRefresh (): Promise<boolean> {
    const s = this.#session
    if (s === undefined) return false
    try {
      const pair = await this.#api.anonymous<TokenPair>('/auth/refresh', { refreshToken: s.refreshToken })
      if (this.#session?.refreshToken !== s.refreshToken) return this.#session !== undefined
      this.#set(pair, s.username)
      for (const l of this.#tokenListeners) l(pair.accessToken)
      return true
    } catch (err) {
      if (err instanceof ApiError && (err.statusCode === 401 || err.statusCode === 400)) this.#end('expired')
      else this.#schedule(MIN_REFRESH_DELAY_MS)
      return false
    }
  }

  #set (pair: TokenPair, username: string): void {
    this.#save({
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: Date.now() + pair.expiresIn * 1000,
      userId: pair.userId,
      username,
    })
    this.#schedule()
  }

  #schedule (delayMs?: number): void {
    clearTimeout(this.#timer)
    const s = this.#session
    if (s === undefined) return
    const ms = delayMs ?? Math.max(MIN_REFRESH_DELAY_MS, s.expiresAt - Date.now() - REFRESH_MARGIN_MS)
    this.#timer = setTimeout(() => { void this.refresh() }, ms)
  }

  #end (reason: SessionEndReason): void {
    if (this.#session === undefined) return
    clearTimeout(this.#timer)
    this.#session = undefined
    this.#store.removeItem(SESSION_KEY)
    for (const l of this.#endListeners) l(reason)
  }

  #save (s: StoredSession): void {
    this.#session = s
    this.#store.setItem(SESSION_KEY, JSON.stringify(s))
  }

  #load (): StoredSession | undefined {
    try {
      const s = JSON.parse(this.#store.getItem(SESSION_KEY) ?? 'null') as Partial<StoredSession> | null
      if (s === null || typeof s.accessToken !== 'string' || typeof s.refreshToken !== 'string' ||
        typeof s.expiresAt !== 'number' || typeof s.userId !== 'string' || typeof s.username !== 'string') return undefined
      return s as StoredSession
    } catch {
      return undefined
    }
  }
}
