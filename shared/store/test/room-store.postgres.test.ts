import { test } from 'node:test'
import { roomStoreContract } from './room-store.contract.js'
import { postgresFactory } from './targets.js'

const factory = await postgresFactory('room_store')
if (factory === undefined) await test.skip('RoomStore (postgres): DATABASE_URL does not answer')
else await roomStoreContract('postgres', factory)
