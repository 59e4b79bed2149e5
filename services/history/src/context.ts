import type { Redis } from 'ioredis'
import type { Registry } from 'prom-client'
import type { MessageBus } from '@chat/bus'
import type { ChatStore } from '@chat/store'
import type { PresenceStore } from '@chat/presence'
import type { TokenStore } from '@chat/tokens'
import type { Logger } from '@chat/observability'
import type { HistoryConfig } from './config.js'

/** What the history service runs on. Adapters are created by the launcher (R5). */
export interface HistoryDeps {
  readonly config: HistoryConfig
  readonly bus: MessageBus
  readonly store: ChatStore
  readonly presence: PresenceStore
  readonly tokens: TokenStore
  readonly log: Logger
  readonly registry: Registry
  /** Redis for the login rate limit, shared by every history instance. Unset: in-process counters. */
  readonly rateLimitRedis?: Redis
}
