// The Redis adapters (subpath `@chat/limits/redis`): importing the package's front door never loads ioredis.
export { RedisSendLimiter } from './send-limiter.redis.js'
export type { RedisSendLimiterOptions, RedisSendLimiterConnectOptions } from './send-limiter.redis.js'
