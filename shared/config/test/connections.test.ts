import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConnections } from '../src/index.js'

const none = { required: [], who: 'the test' } as const

test('loadConnections: nothing set is nothing, unless required', () => {
  assert.deepEqual(loadConnections({}, none), {})
  for (const name of ['DATABASE_URL', 'RABBITMQ_URL', 'REDIS_URL'] as const) {
    assert.throws(() => loadConnections({}, { required: [name], who: 'the edge' }),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(name) && err.message.includes('the edge'))
  }
})

test('loadConnections: a database with its pool size and replica; a RabbitMQ node list; Redis by URL or Sentinel', () => {
  const c = loadConnections({
    DATABASE_URL: 'postgres://a@h:5432/db',
    DATABASE_POOL_MAX: '25',
    DATABASE_READ_URL: 'postgres://a@h:5433/db',
    RABBITMQ_URL: 'amqp://g:g@127.0.0.1:5701/v, amqp://g:g@127.0.0.1:5702/v',
    REDIS_SENTINELS: '127.0.0.1:26379,[::1]:26380,sentinel-3:26381',
    REDIS_SENTINEL_NAME: 'chat',
  }, { required: ['DATABASE_URL', 'RABBITMQ_URL', 'REDIS_URL'], who: 'x' })
  assert.deepEqual(c, {
    database: { url: 'postgres://a@h:5432/db', poolMax: 25, readUrl: 'postgres://a@h:5433/db' },
    rabbitmqUrls: ['amqp://g:g@127.0.0.1:5701/v', 'amqp://g:g@127.0.0.1:5702/v'],
    redis: { kind: 'sentinel', name: 'chat', sentinels: [{ host: '127.0.0.1', port: 26379 }, { host: '::1', port: 26380 }, { host: 'sentinel-3', port: 26381 }] },
  })
  assert.deepEqual(loadConnections({ DATABASE_URL: 'postgresql://h/db', REDIS_URL: 'redis://h:6379' }, none),
    { database: { url: 'postgresql://h/db', poolMax: 10 }, redis: { kind: 'url', url: 'redis://h:6379' } })
})

test('loadConnections: every invalid value is one line naming its variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ DATABASE_URL: 'mysql://h/db' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX'],
    [{ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_MAX: '2.5' }, 'DATABASE_POOL_MAX'],
    [{ DATABASE_READ_URL: 'postgres://h/db' }, 'DATABASE_READ_URL'],
    [{ DATABASE_URL: 'postgres://h/db', DATABASE_READ_URL: 'nope' }, 'DATABASE_READ_URL'],
    [{ RABBITMQ_URL: 'http://h' }, 'RABBITMQ_URL'],
    [{ RABBITMQ_URL: ' , ' }, 'RABBITMQ_URL'],
    [{ RABBITMQ_URL: 'amqp://h/a,amqp://i/b' }, 'RABBITMQ_URL'],
    [{ REDIS_URL: 'http://h' }, 'REDIS_URL'],
    [{ REDIS_SENTINELS: 'h:26379' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINELS: 'h', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'h:99999', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_URL: 'redis://h', REDIS_SENTINELS: 'h:1', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_URL and REDIS_SENTINELS'],
  ]
  for (const [env, name] of cases) {
    assert.throws(() => loadConnections(env, none), (err: unknown) => err instanceof ConfigError && err.message.startsWith(name) && !err.message.includes('\n'), JSON.stringify(env))
  }
})
