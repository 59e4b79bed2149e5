import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import Fastify, { type FastifyPluginAsync } from 'fastify'

// Imported from dist/ by URL: the page's files sit next to the built plugin.
const { PUBLIC_DIR, webPlugin } = await import(new URL('../dist/index.js', import.meta.url).href) as { PUBLIC_DIR: string, webPlugin: FastifyPluginAsync }

// The page as the all-in-one serves it: the built files (turbo builds before it tests).

test('the build wrote the page, its bundle and styles', () => {
  for (const f of ['index.html', 'app.js', 'styles.css']) assert.ok(existsSync(`${PUBLIC_DIR}${f}`), `${f} in ${PUBLIC_DIR}`)
})

test('/ serves the page, /app.js the bundle, compressed when the client accepts it', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await app.register(webPlugin)
  const page = await app.inject('/')
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /text\/html/)
  assert.match(page.body, /<script type="module" src="\/app.js">/)
  const bundle = await app.inject('/app.js')
  assert.equal(bundle.statusCode, 200)
  assert.match(String(bundle.headers['content-type']), /javascript/)
  const br = await app.inject({ url: '/app.js', headers: { 'accept-encoding': 'br' } })
  assert.equal(br.headers['content-encoding'], 'br')
  assert.ok(Number(br.headers['content-length'] ?? br.rawPayload.length) < Number(bundle.headers['content-length'] ?? bundle.rawPayload.length))
  assert.equal((await app.inject('/../package.json')).statusCode, 404)
})
