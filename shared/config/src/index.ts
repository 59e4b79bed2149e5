export { ConfigError } from './config-error.js'
export { parseEnv, requireVar, parseList } from './parse-env.js'
export type { Env } from './parse-env.js'
