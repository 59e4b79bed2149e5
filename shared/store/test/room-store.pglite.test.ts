import { roomStoreContract } from './room-store.contract.js'
import { pgliteFactory } from './targets.js'

await roomStoreContract('pglite', pgliteFactory)
