/** A user logged in through the REST API. */
export interface TestUser {
  readonly userId: string
  readonly username: string
  readonly accessToken: string
  readonly refreshToken: string
  readonly deviceId: string
}

/** A small REST client for tests and benchmarks: the API of SPEC section 3, nothing more. */
export class ChatApi {
  readonly base: string

  constructor (base: string) {
    this.base = base.replace(/\/$/, '')
  }

  async request<T = unknown> (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number, body: T }> {
    const res = await fetch(this.base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T }
  }

  async ok<T = unknown> (method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const r = await this.request<T>(method, path, body, token)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }

  /** Registers (if needed) and logs in. */
  async user (username: string, password = 'password-1', deviceId?: string): Promise<TestUser> {
    const reg = await this.request('POST', '/api/auth/register', { username, password })
    if (reg.status !== 201 && reg.status !== 409) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`)
    const login = await this.ok<{ accessToken: string, refreshToken: string, userId: string, deviceId: string }>('POST', '/api/auth/login', { username, password, ...(deviceId === undefined ? {} : { deviceId }) })
    return { username, ...login }
  }

  async createRoom (owner: TestUser, name = 'room', visibility: 'public' | 'private' = 'public'): Promise<string> {
    const room = await this.ok<{ id: string }>('POST', '/api/rooms', { name, visibility }, owner.accessToken)
    return room.id
  }

  async join (user: TestUser, roomId: string): Promise<void> {
    await this.ok('POST', `/api/rooms/${roomId}/join`, undefined, user.accessToken)
  }
}
