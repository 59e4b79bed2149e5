import { test } from 'node:test'
import { messageStoreContract } from './message-store.contract.js'
import { postgresFactory } from './targets.js'

const factory = await postgresFactory('message_store')
if (factory === undefined) await test.skip('MessageStore (postgres): DATABASE_URL does not answer')
else await messageStoreContract('postgres', factory)
