import { PostgresMessageStore } from './message-store.js'
import { PostgresRoomStore } from './room-store.js'
import { PostgresUserStore } from './user-store.js'
import { StoreGuard } from './store-errors.js'
import type { ChatDatabase } from './database.js'
import type { ChatStore } from './ports.js'

/**
 * The three stores over one database (postgres.js or PGlite: the same code, since PGlite is real PostgreSQL).
 * The database must be migrated first (`database.migrate()`). The ChatStore owns the database from here on:
 * its close() closes the database, after which every call rejects with StoreError STORE_ERR_CLOSED.
 */
export function createChatStore (database: ChatDatabase): ChatStore {
  const guard = new StoreGuard()
  const { db, client } = database
  return {
    messages: new PostgresMessageStore(client, guard, database.replica),
    rooms: new PostgresRoomStore(db, client, guard),
    users: new PostgresUserStore(db, client, guard),
    async ping () {
      return guard.isClosed ? false : await database.ping()
    },
    async close () {
      guard.close()
      await database.close()
    },
  }
}
