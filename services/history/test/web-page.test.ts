import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Harness, testServers } from './harness.js'

// In the split deployment the load balancer sends /ws to the edges and everything else here, so history serves
// the web chat page (the same @chat/web plugin the all-in-one process registers) beside /api and /docs.

const servers = await testServers()
if (servers === undefined) {
  await it.skip('history web page: PostgreSQL or Redis does not answer')
} else {
  describe('the web chat page on the history service', () => {
    let h: Harness

    before(async () => { h = await Harness.start(servers, { tag: 'web' }) })
    after(async () => { await h.close() })

    it('serves the page at / and its bundle and styles, compressed for a browser that accepts it', async () => {
      const page = await h.api.get('/')
      assert.equal(page.status, 200)
      assert.match(String(page.headers['content-type']), /^text\/html/)
      assert.match(page.text, /<script type="module" src="\/app.js">/)
      const bundle = await h.api.get('/app.js')
      assert.equal(bundle.status, 200)
      assert.match(String(bundle.headers['content-type']), /javascript/)
      assert.ok(bundle.text.length > 1000, 'the bundle is the built page, not an error body')
      const br = await h.api.get('/app.js', { headers: { 'accept-encoding': 'br' } })
      assert.equal(br.headers['content-encoding'], 'br')
      assert.equal((await h.api.get('/styles.css')).status, 200)
    })

    it('leaves the API, the docs, the probes and the error format as they were', async () => {
      assert.equal((await h.api.get('/api/me')).status, 401)
      assert.equal((await h.api.get('/docs/json')).status, 200)
      assert.equal((await h.api.get('/healthz')).status, 200)
      const unknown = await h.api.get('/no-such-page')
      assert.equal(unknown.status, 404)
      assert.deepEqual(Object.keys(unknown.json as object).sort(), ['code', 'message', 'statusCode'])
    })
  })
}
