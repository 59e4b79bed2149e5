import { test } from 'node:test'
import { userStoreContract } from './user-store.contract.js'
import { postgresFactory } from './targets.js'

const factory = await postgresFactory('user_store')
if (factory === undefined) await test.skip('UserStore (postgres): DATABASE_URL does not answer')
else await userStoreContract('postgres', factory)
