import { setTimeout as sleep } from 'node:timers/promises'
import { newId } from '@chat/schemas'
import type { InboundMessage } from '@chat/schemas'
import { shardOf } from '@chat/topology'
import type { TopologyOptions } from '@chat/topology'

/** Few shards and short retry delays keep the suites fast. */
export const TEST_TOPOLOGY: TopologyOptions = { shards: 4, retryDelaysMs: [100, 200] }

/** A valid envelope whose content is `content`. */
export function message (roomId: string, content: string): InboundMessage {
  return {
    v: 1,
    id: newId(),
    roomId,
    senderId: newId(),
    senderName: 'alice',
    type: 'TALK',
    content,
    clientMsgId: `c-${content}`,
    sentAt: new Date().toISOString(),
  }
}

/** A new room id whose shard is `k`. */
export function roomOnShard (k: number, shards: number): string {
  for (;;) {
    const id = newId()
    if (shardOf(id, shards) === k) return id
  }
}

export function contentOf (body: Uint8Array): string {
  return (JSON.parse(Buffer.from(body).toString('utf8')) as InboundMessage).content
}

/**
 * A negative check: `check` must hold during the whole window. Waiting a fixed time is unavoidable to
 * show that something does NOT happen; never use it to wait for something that does.
 */
export async function holdsFor (check: () => boolean, windowMs: number, what: string): Promise<void> {
  const end = Date.now() + windowMs
  while (Date.now() < end) {
    if (!check()) throw new Error(`expected ${what} to hold for ${windowMs} ms`)
    await sleep(10)
  }
  if (!check()) throw new Error(`expected ${what} to hold for ${windowMs} ms`)
}
