import { messageStoreContract } from './message-store.contract.js'
import { pgliteFactory } from './targets.js'

await messageStoreContract('pglite', pgliteFactory)
