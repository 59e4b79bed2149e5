import { userStoreContract } from './user-store.contract.js'
import { pgliteFactory } from './targets.js'

await userStoreContract('pglite', pgliteFactory)
