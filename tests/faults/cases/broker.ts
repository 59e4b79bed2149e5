/** Broker facts through the management API (enabled by scripts/rabbitmq-plugins.sh). */

function management (amqpUrl: string): { base: string, vhost: string, auth: string } {
  const u = new URL(amqpUrl)
  const vhost = decodeURIComponent(u.pathname.replace(/^\//, '')) || '/'
  const auth = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username || 'guest')}:${decodeURIComponent(u.password || 'guest')}`).toString('base64')
  return { base: `http://${u.hostname}:15672/api`, vhost, auth }
}

async function get<T> (amqpUrl: string, path: (vhost: string) => string): Promise<T> {
  const m = management(amqpUrl)
  const res = await fetch(m.base + path(encodeURIComponent(m.vhost)), { headers: { authorization: m.auth } })
  if (!res.ok) throw new Error(`management ${res.status}`)
  return await res.json() as T
}

/** Messages in chat.dlq of the URL's vhost. */
export async function deadLetterCount (amqpUrl: string): Promise<number> {
  const q = await get<{ messages?: number }>(amqpUrl, (v) => `/queues/${v}/chat.dlq`)
  return q.messages ?? 0
}

/** Channels open on the vhost's connections, bindings and queues of the vhost (for leak checks). */
export async function brokerCounts (amqpUrl: string): Promise<{ channels: number, bindings: number, queues: number, connections: number }> {
  const m = management(amqpUrl)
  const [channels, bindings, queues, connections] = await Promise.all([
    get<Array<{ vhost: string }>>(amqpUrl, () => '/channels'),
    get<unknown[]>(amqpUrl, (v) => `/bindings/${v}`),
    get<unknown[]>(amqpUrl, (v) => `/queues/${v}`),
    get<Array<{ vhost: string }>>(amqpUrl, () => '/connections'),
  ])
  return {
    channels: channels.filter((c) => c.vhost === m.vhost).length,
    bindings: bindings.length,
    queues: queues.length,
    connections: connections.filter((c) => c.vhost === m.vhost).length,
  }
}
