import type { FastifyBaseLogger } from 'fastify'
import type { TokenStore } from '@chat/tokens'

const RETRY_DELAYS_MS = [200, 1_000, 5_000, 15_000, 60_000, 120_000]

/**
 * Publishes a device's revocation (the database already holds the bumped version). If the token store is
 * unreachable the publish is retried in the background for a few minutes: until it lands, edges may still
 * accept the old tokens they cached, so giving up at once would leave them open. The caller waits for
 * the first attempt only; it never throws.
 */
export async function publishRevocation (tokens: TokenStore, deviceId: string, version: number, log: FastifyBaseLogger): Promise<void> {
  let attempt = 0
  const tryOnce = async (): Promise<void> => {
    try {
      await tokens.revoke(deviceId, version)
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt++]
      if (delay === undefined) {
        log.error({ err, deviceId }, 'revocation could not be published; edges keep old sessions until their tokens expire')
        return
      }
      log.warn({ err, deviceId, retryInMs: delay }, 'revocation not published yet, retrying')
      setTimeout(() => { void tryOnce() }, delay).unref()
    }
  }
  await tryOnce()
}
