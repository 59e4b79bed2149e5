// Version and heart-beat negotiation (STOMP 1.2 "Protocol Negotiation", "Heart-beating"), WebSocket subprotocols.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { negotiateHeartbeat, negotiateVersion, stompVersionOfSubprotocol } from '../src/index.js'

await test('negotiateVersion', async (t) => {
  await t.test('picks the highest version both sides speak', () => {
    assert.equal(negotiateVersion('1.0,1.1,1.2'), '1.2')
    assert.equal(negotiateVersion('1.2,1.0'), '1.2')
    assert.equal(negotiateVersion('1.0,1.1'), '1.1')
    assert.equal(negotiateVersion('1.1,2.0'), '1.1')
    assert.equal(negotiateVersion('1.0'), '1.0')
  })

  await t.test('treats an absent accept-version as a 1.0 client', () => {
    assert.equal(negotiateVersion(undefined), '1.0')
  })

  await t.test('returns undefined when no version is common', () => {
    assert.equal(negotiateVersion('2.0,3.1'), undefined)
    assert.equal(negotiateVersion(''), undefined)
    assert.equal(negotiateVersion('1.2.1'), undefined)
  })

  await t.test('tolerates spaces around the versions', () => {
    assert.equal(negotiateVersion('1.0, 1.1 ,1.2 '), '1.2')
  })
})

await test('negotiateHeartbeat', async (t) => {
  const server = { sendMs: 10_000, receiveMs: 10_000 }

  await t.test('sends every max(server send, client cy) and expects every max(client cx, server receive)', () => {
    assert.deepEqual(negotiateHeartbeat('4000,20000', server), { ok: true, sendEveryMs: 20_000, expectEveryMs: 10_000 })
    assert.deepEqual(negotiateHeartbeat('30000,5000', server), { ok: true, sendEveryMs: 10_000, expectEveryMs: 30_000 })
  })

  await t.test('turns a direction off when either side says 0', () => {
    assert.deepEqual(negotiateHeartbeat('0,5000', server), { ok: true, sendEveryMs: 10_000, expectEveryMs: 0 })
    assert.deepEqual(negotiateHeartbeat('5000,0', server), { ok: true, sendEveryMs: 0, expectEveryMs: 10_000 })
    assert.deepEqual(negotiateHeartbeat('5000,5000', { sendMs: 0, receiveMs: 0 }),
      { ok: true, sendEveryMs: 0, expectEveryMs: 0 })
  })

  await t.test('treats an absent header as 0,0', () => {
    assert.deepEqual(negotiateHeartbeat(undefined, server), { ok: true, sendEveryMs: 0, expectEveryMs: 0 })
  })

  await t.test('refuses a malformed header', () => {
    for (const bad of ['', '1000', '1000,', ',1000', '1,2,3', '-1,0', '1.5,2', 'a,b', ' 1000,1000', '1000, 1000',
      '10000000000000000,0']) {
      assert.deepEqual(negotiateHeartbeat(bad, server), { ok: false }, bad)
    }
  })
})

await test('stompVersionOfSubprotocol', async (t) => {
  await t.test('maps v10.stomp, v11.stomp and v12.stomp', () => {
    assert.equal(stompVersionOfSubprotocol('v10.stomp'), '1.0')
    assert.equal(stompVersionOfSubprotocol('v11.stomp'), '1.1')
    assert.equal(stompVersionOfSubprotocol('v12.stomp'), '1.2')
  })

  await t.test('returns undefined for anything else', () => {
    for (const p of [undefined, '', 'stomp', 'V12.STOMP', 'v13.stomp', 'mqtt']) {
      assert.equal(stompVersionOfSubprotocol(p), undefined, String(p))
    }
  })
})
