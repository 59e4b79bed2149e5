export {
  TokenStoreError, TokenStoreUnavailableError, TokenStoreRejectedError, TokenStoreClosedError, TokenStoreErrorCode,
} from './errors.js'
export type { TokenStore, RevocationHandler } from './token-store.js'
export type { Logger } from '@chat/redis'
export { MemoryTokenStore } from './token-store.memory.js'
export type { MemoryTokenStoreOptions } from './token-store.memory.js'
export { TOKEN_TYPE, checkAccessClaims } from './access-token.js'
export type { AccessClaims, AccessClaimsCheck, TokenType } from './access-token.js'
export { newRefreshToken, hashRefreshToken } from './refresh-token.js'
export { DeviceVersions } from './device-versions.js'
