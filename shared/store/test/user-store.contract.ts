import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createChatStore } from '../src/index.js'
import type { DeviceRecord, UserRecord } from '../src/index.js'
import { createUser, missingId, uniqueUsername } from './fixtures.js'
import type { DatabaseFactory } from './fixtures.js'

const hash = (): string => randomBytes(16).toString('hex')
const inAMinute = (): Date => new Date(Date.now() + 60_000)

export async function userStoreContract (name: string, factory: DatabaseFactory): Promise<void> {
  await test(`UserStore (${name})`, async (suite) => {
    const store = createChatStore(await factory.open())
    suite.after(() => store.close())

    /** A user's device with a refresh family started by `token`. */
    const device = async (token: string): Promise<{ user: UserRecord, device: DeviceRecord, familyId: string }> => {
      const user = await createUser(store, 'dev')
      const d = await store.users.upsertDevice(user.id, 'phone')
      const { familyId } = await store.users.createRefreshFamily(d.id, token, inAMinute())
      return { user, device: d, familyId }
    }

    await suite.test('createUser: stored as given, unique case-insensitively', async () => {
      const username = uniqueUsername('MiXeD')
      const user = await store.users.createUser(username, 'h1')
      assert.ok(user !== 'taken')
      assert.equal(user.username, username)
      assert.match(user.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.equal(await store.users.createUser(username.toUpperCase(), 'h2'), 'taken')
      assert.equal(await store.users.createUser(username.toLowerCase(), 'h2'), 'taken')
    })

    await suite.test('findCredentials, getUserByName: case-insensitive; getUser by id', async () => {
      const username = uniqueUsername('Frank')
      const user = await store.users.createUser(username, 'secret-hash')
      assert.ok(user !== 'taken')
      assert.deepEqual(await store.users.findCredentials(username.toLowerCase()), { user, passwordHash: 'secret-hash' })
      assert.deepEqual(await store.users.getUserByName(username.toUpperCase()), user)
      assert.deepEqual(await store.users.getUser(user.id), user)
      assert.equal(await store.users.findCredentials(uniqueUsername('nobody')), undefined)
      assert.equal(await store.users.getUserByName(uniqueUsername('nobody')), undefined)
      assert.equal(await store.users.getUser(missingId()), undefined)
    })

    await suite.test('stores SQL meta-characters in usernames verbatim', async () => {
      const username = `x'); DROP TABLE users;-- \\ %_ ${randomBytes(3).toString('hex')}`
      const user = await store.users.createUser(username, 'h')
      assert.ok(user !== 'taken')
      assert.equal((await store.users.getUserByName(username))?.username, username)
      assert.equal(await store.users.getUserByName(username.replace('%_', 'ab')), undefined)
    })

    await suite.test('upsertDevice: created with version 1, the same device for the same key', async () => {
      const user = await createUser(store)
      const phone = await store.users.upsertDevice(user.id, 'phone')
      assert.deepEqual(phone, { id: phone.id, userId: user.id, deviceKey: 'phone', tokenVersion: 1 })
      assert.deepEqual(await store.users.upsertDevice(user.id, 'phone'), phone)
      const laptop = await store.users.upsertDevice(user.id, 'laptop')
      assert.notEqual(laptop.id, phone.id)
      assert.deepEqual(await store.users.getDevice(phone.id), phone)
      assert.equal(await store.users.getDevice(missingId()), undefined)
      // The same key of another user is another device.
      const other = await createUser(store)
      assert.notEqual((await store.users.upsertDevice(other.id, 'phone')).id, phone.id)
    })

    await suite.test('rotateRefreshToken: spends the old token and issues the new one in the same family', async () => {
      const [t1, t2, t3] = [hash(), hash(), hash()]
      const { device: d, familyId } = await device(t1)
      assert.deepEqual(await store.users.rotateRefreshToken(t1, t2, inAMinute()), { status: 'rotated', device: d, familyId })
      assert.deepEqual(await store.users.rotateRefreshToken(t2, t3, inAMinute()), { status: 'rotated', device: d, familyId })
    })

    await suite.test('reuse of a spent token revokes the family and bumps the device version', async () => {
      const [t1, t2, t3] = [hash(), hash(), hash()]
      const { device: d } = await device(t1)
      await store.users.rotateRefreshToken(t1, t2, inAMinute())
      // 1. an attacker replays t1
      assert.deepEqual(await store.users.rotateRefreshToken(t1, hash(), inAMinute()),
        { status: 'reused', device: { ...d, tokenVersion: 2 } })
      // 2. the family is gone: the legitimate holder's t2 no longer works either
      assert.deepEqual(await store.users.rotateRefreshToken(t2, t3, inAMinute()), { status: 'invalid' })
      // 3. replaying again does not bump again: the family is already revoked
      assert.deepEqual(await store.users.rotateRefreshToken(t1, hash(), inAMinute()), { status: 'invalid' })
      assert.equal((await store.users.getDevice(d.id))?.tokenVersion, 2)
    })

    await suite.test('two concurrent rotations of one token: exactly one rotates, the other is reuse', async () => {
      const t1 = hash()
      const { device: d } = await device(t1)
      const other = factory.sharesData ? createChatStore(await factory.open()) : store
      try {
        const results = await Promise.all([
          store.users.rotateRefreshToken(t1, hash(), inAMinute()),
          other.users.rotateRefreshToken(t1, hash(), inAMinute()),
        ])
        assert.deepEqual(results.map((r) => r.status).sort(), ['reused', 'rotated'])
        assert.equal((await store.users.getDevice(d.id))?.tokenVersion, 2)
      } finally {
        if (other !== store) await other.close()
      }
    })

    await suite.test('unknown and expired tokens are invalid', async () => {
      assert.deepEqual(await store.users.rotateRefreshToken(hash(), hash(), inAMinute()), { status: 'invalid' })
      const user = await createUser(store)
      const d = await store.users.upsertDevice(user.id, 'tablet')
      const old = hash()
      await store.users.createRefreshFamily(d.id, old, new Date(Date.now() - 1_000))
      assert.deepEqual(await store.users.rotateRefreshToken(old, hash(), inAMinute()), { status: 'invalid' })
      assert.equal((await store.users.getDevice(d.id))?.tokenVersion, 1)
    })

    await suite.test('revokeDevice: revokes every family of the device and bumps its version', async () => {
      const [a, b] = [hash(), hash()]
      const { device: d } = await device(a)
      await store.users.createRefreshFamily(d.id, b, inAMinute())
      // Another device of the same user is not touched.
      const laptop = await store.users.upsertDevice(d.userId, 'laptop')
      const c = hash()
      await store.users.createRefreshFamily(laptop.id, c, inAMinute())
      assert.equal(await store.users.revokeDevice(d.id), 2)
      assert.deepEqual(await store.users.rotateRefreshToken(a, hash(), inAMinute()), { status: 'invalid' })
      assert.deepEqual(await store.users.rotateRefreshToken(b, hash(), inAMinute()), { status: 'invalid' })
      assert.equal((await store.users.getDevice(d.id))?.tokenVersion, 2)
      assert.equal((await store.users.rotateRefreshToken(c, hash(), inAMinute())).status, 'rotated')
      assert.equal(await store.users.revokeDevice(d.id), 3)
      assert.equal(await store.users.revokeDevice(missingId()), 0)
    })

    await suite.test('recordLastSeen / getLastSeen: never moves back', async () => {
      const user = await createUser(store)
      assert.equal(await store.users.getLastSeen(user.id), undefined)
      const t = new Date('2025-06-01T12:00:00.250Z')
      await store.users.recordLastSeen(user.id, t)
      assert.equal((await store.users.getLastSeen(user.id))?.toISOString(), t.toISOString())
      await store.users.recordLastSeen(user.id, new Date('2025-01-01T00:00:00Z'))
      assert.equal((await store.users.getLastSeen(user.id))?.toISOString(), t.toISOString())
      assert.equal(await store.users.getLastSeen(missingId()), undefined)
    })
  })
}
