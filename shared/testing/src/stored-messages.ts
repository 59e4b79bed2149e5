import postgres from 'postgres'
import type { StoredMessage } from './ledger.js'

/** Every stored message of the rooms, read straight from PostgreSQL (the checker's ground truth). */
export async function readStoredMessages (databaseUrl: string, roomIds: readonly string[]): Promise<StoredMessage[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    const rows = await sql<Array<{ room_id: string, seq: number, client_msg_id: string, type: string }>>`
      SELECT room_id, seq, client_msg_id, type FROM messages WHERE room_id = ANY(${roomIds as string[]}::uuid[]) ORDER BY room_id, seq`
    return rows.map((r) => ({ roomId: r.room_id, seq: r.seq, clientMsgId: r.client_msg_id, type: r.type }))
  } finally {
    await sql.end()
  }
}
