// The light front door: error grading, key prefixes, the logger shape. Connecting (ioredis) is `@chat/redis/connect`,
// so a store package's port can use these without loading ioredis.
export { gradedErrors, isRedisRefusal } from './store-errors.js'
export { KeyPrefix } from './key-prefix.js'
export { silentLogger } from './logger.js'
export type { Logger } from './logger.js'
export type { RedisConnection } from '@chat/config'
