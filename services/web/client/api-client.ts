/** A failed REST call: the API's `{statusCode, code, message}`, or `NETWORK` (status 0) when nothing answered. */
export class ApiError extends Error {
  readonly statusCode: number
  readonly code: string

  constructor (statusCode: number, code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
  }
}

/** What the API client needs from the session: a token, and a way to get a new one after a 401. */
export interface ApiAuth {
  /** The access token to send, refreshed first when it is about to expire; undefined when signed out. */
  token (): Promise<string | undefined>
  /** Called once per request after a 401: true when a new token was obtained and the request may be retried. */
  recover (): Promise<boolean>
}

type Method = 'GET' | 'POST'

/** The REST API of SPEC section 3: JSON in and out, the bearer token on every call but the auth ones. */
export class ApiClient {
  readonly #base: string
  auth: ApiAuth | undefined

  constructor (base = '/api') {
    this.#base = base
  }

  async get<T> (path: string): Promise<T> {
    return await this.call<T>('GET', path)
  }

  async post<T = undefined> (path: string, body?: unknown): Promise<T> {
    return await this.call<T>('POST', path, body)
  }

  /** A call without a token (register, login, refresh), never retried. */
  async anonymous<T> (path: string, body: unknown): Promise<T> {
    return await this.#send<T>('POST', path, body, undefined)
  }

  async call<T> (method: Method, path: string, body?: unknown): Promise<T> {
    const auth = this.auth
    try {
      return await this.#send<T>(method, path, body, await auth?.token())
    } catch (err) {
      if (!(err instanceof ApiError) || err.statusCode !== 401 || auth === undefined) throw err
      if (!await auth.recover()) throw err
      return await this.#send<T>(method, path, body, await auth.token())
    }
  }

  async #send<T> (method: Method, path: string, body: unknown, token: string | undefined): Promise<T> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    let res: Response
    try {
      res = await fetch(this.#base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    } catch {
      throw new ApiError(0, 'NETWORK', 'the server could not be reached')
    }
    const text = await res.text().catch(() => '')
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    if (res.ok) return json as T
    const e = (typeof json === 'object' && json !== null ? json : {}) as { code?: unknown, message?: unknown }
    throw new ApiError(
      res.status,
      typeof e.code === 'string' ? e.code : `HTTP_${res.status}`,
      typeof e.message === 'string' ? e.message : res.statusText || 'request failed',
    )
  }
}
