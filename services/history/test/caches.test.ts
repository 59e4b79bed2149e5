import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DeviceVersions, MemoryTokenStore, type TokenStore } from '@chat/tokens'
import { silentLogger } from '@chat/observability'
import { TestClock } from '@chat/testing'
import { TtlCache } from '../src/ttl-cache.js'
import { CachedDeviceVersions } from '../src/auth/cached-device-versions.js'

// The two in-process caches' rules, on a hand-moved clock (no servers): what expires when, what is never lowered.

describe('TtlCache', () => {
  it('serves an entry for ttlMs after it was written, then forgets it', () => {
    const clock = new TestClock()
    const cache = new TtlCache<number>({ ttlMs: 1_000, now: () => clock.now() })
    cache.set('a', 1)
    clock.advance(999)
    assert.equal(cache.get('a'), 1)
    clock.advance(1)
    assert.equal(cache.get('a'), undefined)
    assert.equal(cache.size, 0)
  })

  it('a write restarts the entry\'s life; delete drops it at once', () => {
    const clock = new TestClock()
    const cache = new TtlCache<number>({ ttlMs: 1_000, now: () => clock.now() })
    cache.set('a', 1)
    clock.advance(800)
    cache.set('a', 2)
    clock.advance(800)
    assert.equal(cache.get('a'), 2)
    cache.delete('a')
    assert.equal(cache.get('a'), undefined)
  })

  it('ttlMs 0 keeps nothing', () => {
    const cache = new TtlCache<number>({ ttlMs: 0 })
    cache.set('a', 1)
    assert.equal(cache.get('a'), undefined)
    assert.equal(cache.isEnabled, false)
  })

  it('keeps at most maxEntries, dropping the one written longest ago', () => {
    const cache = new TtlCache<number>({ ttlMs: 60_000, maxEntries: 3 })
    for (const k of ['a', 'b', 'c']) cache.set(k, 1)
    cache.set('a', 2) // rewritten: now the newest
    cache.set('d', 1)
    assert.equal(cache.size, 3)
    assert.equal(cache.get('b'), undefined)
    assert.equal(cache.get('a'), 2)
    assert.equal(cache.get('c'), 1)
    assert.equal(cache.get('d'), 1)
  })

  it('refuses nonsense options', () => {
    assert.throws(() => new TtlCache({ ttlMs: -1 }), RangeError)
    assert.throws(() => new TtlCache({ ttlMs: 1.5 }), RangeError)
    assert.throws(() => new TtlCache({ ttlMs: 1, maxEntries: 0 }), RangeError)
  })
})

describe('CachedDeviceVersions', () => {
  const DEVICE = '01900000-0000-7000-8000-0000000000d1'

  function setup (ttlMs = 1_000): { clock: TestClock, tokens: MemoryTokenStore, db: Map<string, number>, loads: () => number, cached: CachedDeviceVersions } {
    const clock = new TestClock()
    const tokens = new MemoryTokenStore()
    const db = new Map<string, number>([[DEVICE, 1]])
    let loads = 0
    // A token store that knows nothing: every miss goes to the "database", so the loads count the misses.
    const forgetful: TokenStore = { getVersion: async () => undefined, setVersion: async () => {}, revoke: async () => {}, onRevoke: () => () => {}, onResubscribed: () => () => {}, close: async () => {} }
    const versions = new DeviceVersions({
      tokens: forgetful,
      loadVersion: async (id) => { loads++; return db.get(id) },
      log: silentLogger,
    })
    const cached = new CachedDeviceVersions({ versions, tokens, ttlMs, now: () => clock.now() })
    return { clock, tokens, db, loads: () => loads, cached }
  }

  it('reads once per ttl, then again', async () => {
    const { clock, loads, cached } = setup()
    assert.equal(await cached.current(DEVICE, 1), 1)
    assert.equal(await cached.current(DEVICE.toUpperCase(), 1), 1)
    assert.equal(loads(), 1)
    clock.advance(1_000)
    assert.equal(await cached.current(DEVICE, 1), 1)
    assert.equal(loads(), 2)
  })

  it('a revocation (local or broadcast) applies at once and is never lowered by a late read', async () => {
    const { tokens, db, cached } = setup()
    assert.equal(await cached.current(DEVICE, 1), 1)
    db.set(DEVICE, 2)
    cached.revoked(DEVICE, 2)
    assert.equal(await cached.current(DEVICE, 1), 2, 'a token of version 1 now meets version 2')
    await tokens.revoke(DEVICE, 3) // another instance's broadcast
    assert.equal(await cached.current(DEVICE, 2), 3)
    cached.revoked(DEVICE, 2) // a late, lower report
    assert.equal(await cached.current(DEVICE, 1), 3)
  })

  it('a token newer than the cached version is a miss, so a fresh login is never refused by the cache', async () => {
    const { db, loads, cached } = setup()
    assert.equal(await cached.current(DEVICE, 1), 1)
    db.set(DEVICE, 2) // revoked and logged in again elsewhere; the broadcast was lost
    assert.equal(await cached.current(DEVICE, 2), 2)
    assert.equal(loads(), 2)
  })

  it('does not cache an unknown device, and stops listening once closed', async () => {
    const { tokens, loads, cached } = setup()
    assert.equal(await cached.current('01900000-0000-7000-8000-0000000000ff', 1), undefined)
    assert.equal(await cached.current('01900000-0000-7000-8000-0000000000ff', 1), undefined)
    assert.equal(loads(), 2)
    cached.close()
    await tokens.revoke(DEVICE, 5)
    assert.equal(await cached.current(DEVICE, 1), 1)
  })
})
