export { TokenStoreClosedError } from './errors.js'
export type { TokenStore, RevocationHandler } from './token-store.js'
