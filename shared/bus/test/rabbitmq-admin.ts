import { createServer } from 'node:net'
import amqplib from 'amqplib'

/** The management HTTP API of the broker of `amqpUrl` (plugin enabled by scripts/rabbitmq-plugins.sh). */
export async function management (amqpUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const u = new URL(amqpUrl)
  const base = process.env.RABBITMQ_MANAGEMENT_URL ?? `http://${u.hostname}:15672`
  const auth = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username || 'guest')}:${decodeURIComponent(u.password || 'guest')}`).toString('base64')
  const res = await fetch(base + path, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json', 'x-reason': 'bus test' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (!res.ok) throw new Error(`rabbitmq management ${method} ${path}: ${res.status} ${await res.text()}`)
  const text = await res.text()
  return text === '' ? undefined : JSON.parse(text)
}

/**
 * Force-closes the connection named `connectionName` (client property `connection_name`), as an
 * operator or a broker restart would. Returns false while the management API does not list it yet.
 */
export async function killConnection (amqpUrl: string, connectionName: string): Promise<boolean> {
  const list = await management(amqpUrl, 'GET', '/api/connections?columns=name,client_properties') as
    Array<{ name: string, client_properties?: { connection_name?: string } }>
  const found = list.filter((c) => c.client_properties?.connection_name === connectionName)
  for (const c of found) await management(amqpUrl, 'DELETE', `/api/connections/${encodeURIComponent(c.name)}`)
  return found.length > 0
}

/** Deletes a queue over a short-lived connection of its own. */
export async function deleteQueue (amqpUrl: string, queue: string): Promise<void> {
  const conn = await amqplib.connect(amqpUrl)
  try {
    const ch = await conn.createChannel()
    await ch.deleteQueue(queue)
  } finally {
    await conn.close()
  }
}

/** A TCP port nothing listens on (it was free a moment ago). */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
