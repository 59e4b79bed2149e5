import Type from 'typebox'
import { ConfigError, parseEnv, parseList } from '@chat/config'
import type { Env } from '@chat/config'
import type { TopologyOptions } from './topology.js'

const TopologyEnv = Type.Object({
  RABBITMQ_SHARDS: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  DISPATCH_RETRY_DELAYS_MS: Type.String({ default: '1000,5000,30000' }),
  RABBITMQ_QUORUM_SIZE: Type.Integer({ minimum: 1, maximum: 7, default: 3 }),
})

/**
 * The settings every process of a deployment must agree on, read from one place so that the edges, the
 * dispatchers and history cannot drift apart: `RABBITMQ_SHARDS` (room shard queues), `DISPATCH_RETRY_DELAYS_MS`
 * (the delay queues, a comma list of ms, shortest first) and `RABBITMQ_QUORUM_SIZE` (replicas of each quorum
 * queue when it is created). Every `main.ts` calls it with `process.env`; a value out of range throws a
 * `ConfigError` naming the variable.
 */
export function loadTopologyOptions (env: Env): TopologyOptions {
  const e = parseEnv(TopologyEnv, env)
  const retryDelaysMs = parseList(e.DISPATCH_RETRY_DELAYS_MS).map(Number)
  if (retryDelaysMs.length === 0 || retryDelaysMs.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new ConfigError('DISPATCH_RETRY_DELAYS_MS: a comma list of positive integers (ms), shortest first')
  }
  return Object.freeze({ shards: e.RABBITMQ_SHARDS, retryDelaysMs: Object.freeze(retryDelaysMs), quorumSize: e.RABBITMQ_QUORUM_SIZE })
}
