import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy a test can cut and restore, so a service loses its database or Redis while the shared
 * server itself stays untouched. While cut, existing connections are destroyed and the port stops
 * listening, so new connections are refused, as when the server is down.
 */
export class TcpProxy {
  readonly #server: Server
  readonly #target: { host: string, port: number }
  readonly #sockets = new Set<Socket>()
  #isCut = false
  port = 0

  private constructor (target: { host: string, port: number }) {
    this.#target = target
    this.#server = createServer((client) => this.#accept(client))
  }

  static async start (targetHost: string, targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy({ host: targetHost, port: targetPort })
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', reject)
      p.#server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = p.#server.address()
    p.port = typeof address === 'object' && address !== null ? address.port : 0
    return p
  }

  /** `url` with its host and port replaced by this proxy's. */
  rewrite (url: string): string {
    const u = new URL(url)
    u.hostname = '127.0.0.1'
    u.port = String(this.port)
    return u.toString()
  }

  get isCut (): boolean {
    return this.#isCut
  }

  get connections (): number {
    return this.#sockets.size
  }

  cut (): void {
    if (this.#isCut) return
    this.#isCut = true
    this.#server.close()
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
  }

  /** Listens again on the same port. */
  async restore (): Promise<void> {
    if (!this.#isCut) return
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.port, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    this.#isCut = false
  }

  async close (): Promise<void> {
    const wasCut = this.#isCut
    this.cut()
    if (!wasCut) await new Promise<void>((resolve) => this.#server.once('close', () => resolve()))
  }

  #accept (client: Socket): void {
    if (this.#isCut) {
      client.destroy()
      return
    }
    const upstream = connect(this.#target.port, this.#target.host)
    this.#sockets.add(client)
    this.#sockets.add(upstream)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      this.#sockets.delete(client)
      this.#sockets.delete(upstream)
    }
    client.on('error', drop)
    upstream.on('error', drop)
    client.on('close', drop)
    upstream.on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  }
}
