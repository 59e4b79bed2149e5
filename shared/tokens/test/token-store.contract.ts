import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { waitFor } from '@chat/testing'
import { TokenStoreClosedError, type TokenStore } from '../src/index.js'

export interface TokenStoreHarness {
  readonly store: TokenStore
  /**
   * The same backend as a second edge sees it: a second instance on its own connections (Redis), or the
   * same instance (memory, which is single-process by design).
   */
  readonly peer: TokenStore
  /**
   * Resolves once `instances` store instances hear revocations with the handlers registered so far
   * (Redis: their SUBSCRIBE is done; memory: at once).
   */
  subscribed (instances: number): Promise<void>
}

/** Builds fresh, empty stores for one test and registers their teardown on `t`. */
export type TokenStoreFactory = (t: TestContext) => Promise<TokenStoreHarness>

type Received = Array<[deviceId: string, version: number]>

function recorder (): { received: Received, handler: (deviceId: string, version: number) => void } {
  const received: Received = []
  return { received, handler: (deviceId, version) => { received.push([deviceId, version]) } }
}

/** The TokenStore contract (src/token-store.ts), run against every adapter. */
export async function tokenStoreContract (name: string, make: TokenStoreFactory): Promise<void> {
  await test(`TokenStore contract (${name})`, async (suite) => {
    await suite.test('an unknown device has no version', async (t) => {
      const { store } = await make(t)
      assert.equal(await store.getVersion('dev-unknown'), undefined)
    })

    await suite.test('setVersion records a version every instance reads', async (t) => {
      const { store, peer } = await make(t)
      await store.setVersion('dev-1', 3)
      assert.equal(await store.getVersion('dev-1'), 3)
      assert.equal(await peer.getVersion('dev-1'), 3)
      assert.equal(await store.getVersion('dev-2'), undefined)
    })

    await suite.test('setVersion never lowers a version', async (t) => {
      const { store, peer } = await make(t)
      await store.setVersion('dev-1', 5)
      await store.setVersion('dev-1', 3)
      assert.equal(await store.getVersion('dev-1'), 5)
      await peer.setVersion('dev-1', 7)
      await store.setVersion('dev-1', 6)
      assert.equal(await peer.getVersion('dev-1'), 7)
    })

    await suite.test('concurrent writers end with the highest version', async (t) => {
      const { store, peer } = await make(t)
      const versions = Array.from({ length: 40 }, (_, i) => ((i * 17) % 40) + 1) // 1..40, shuffled
      await Promise.all(versions.map((v, i) => (i % 2 === 0 ? store : peer).setVersion('dev-1', v)))
      assert.equal(await store.getVersion('dev-1'), 40)
    })

    await suite.test('keeps the largest safe integer exactly', async (t) => {
      const { store } = await make(t)
      await store.setVersion('dev-1', Number.MAX_SAFE_INTEGER)
      assert.equal(await store.getVersion('dev-1'), Number.MAX_SAFE_INTEGER)
    })

    await suite.test('refuses versions that are not positive safe integers, and empty device ids', async (t) => {
      const { store } = await make(t)
      for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
        await assert.rejects(store.setVersion('dev-1', bad), RangeError, String(bad))
        await assert.rejects(store.revoke('dev-1', bad), RangeError, String(bad))
      }
      await assert.rejects(store.setVersion('', 1), TypeError)
      await assert.rejects(store.getVersion(''), TypeError)
      assert.equal(await store.getVersion('dev-1'), undefined)
    })

    await suite.test('revoke raises the version and reaches the handlers of every instance', async (t) => {
      const { store, peer, subscribed } = await make(t)
      const here = recorder()
      const there = recorder()
      store.onRevoke(here.handler)
      peer.onRevoke(there.handler)
      await subscribed(2)
      await store.setVersion('dev-1', 1)
      await store.revoke('dev-1', 2)
      assert.equal(await peer.getVersion('dev-1'), 2)
      await waitFor(() => here.received.length > 0 && there.received.length > 0, { timeoutMs: 5_000, what: 'revocations' })
      assert.deepEqual(here.received, [['dev-1', 2]])
      assert.deepEqual(there.received, [['dev-1', 2]])
    })

    await suite.test('revoke never lowers either, and announces the version it keeps', async (t) => {
      const { store, peer, subscribed } = await make(t)
      const there = recorder()
      peer.onRevoke(there.handler)
      await subscribed(1)
      await store.setVersion('dev-1', 9)
      await store.revoke('dev-1', 4)
      assert.equal(await store.getVersion('dev-1'), 9)
      await waitFor(() => there.received.length > 0, { timeoutMs: 5_000, what: 'the revocation' })
      assert.deepEqual(there.received, [['dev-1', 9]])
    })

    await suite.test('unsubscribing stops delivery to that handler only; unsubscribing twice is harmless', async (t) => {
      const { store, peer, subscribed } = await make(t)
      const gone = recorder()
      const kept = recorder()
      const off = peer.onRevoke(gone.handler)
      peer.onRevoke(kept.handler)
      await subscribed(1)
      off()
      off()
      await store.revoke('dev-1', 1)
      await store.revoke('dev-2', 1)
      // Both handlers would be called for the same message, in order: once `kept` has both, `gone` would too.
      await waitFor(() => kept.received.length === 2, { timeoutMs: 5_000, what: 'the revocations' })
      assert.deepEqual(gone.received, [])
    })

    await suite.test('a handler that throws does not stop the others', async (t) => {
      const { store, peer, subscribed } = await make(t)
      const kept = recorder()
      peer.onRevoke(() => { throw new Error('boom') })
      peer.onRevoke(kept.handler)
      await subscribed(1)
      await store.revoke('dev-1', 1)
      await store.revoke('dev-1', 2)
      await waitFor(() => kept.received.length === 2, { timeoutMs: 5_000, what: 'the revocations' })
      assert.deepEqual(kept.received, [['dev-1', 1], ['dev-1', 2]])
    })

    await suite.test('close is idempotent; afterwards every call fails with TokenStoreClosedError', async (t) => {
      const { store } = await make(t)
      store.onRevoke(() => {})
      await store.setVersion('dev-1', 1)
      await store.close()
      await store.close()
      const closed = (err: unknown): boolean => err instanceof TokenStoreClosedError && err.code === 'TOKENS_ERR_CLOSED'
      await assert.rejects(store.getVersion('dev-1'), closed)
      await assert.rejects(store.setVersion('dev-1', 2), closed)
      await assert.rejects(store.revoke('dev-1', 2), closed)
      assert.throws(() => store.onRevoke(() => {}), closed)
    })
  })
}
