// The web chat page in a real browser (Debian's Chromium driven by playwright-core): two people sign up,
// share a room, chat, one of them drops off the network while the other writes, and the page resumes without a
// gap or a duplicate; a third person's send is refused and retried. Everything is done through the page and
// checked on the rendered DOM (and, for what was stored, over REST).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { ChatApi, REPO_ROOT, startService, uniqueName, waitFor, type ServiceProcess } from '@chat/testing'
import { ChatPage, WAIT_MS, type RenderedMessage } from './browser-chat-page.js'
import { refuseChatSends } from './browser-stomp-fault.js'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync',
]
const OUT_DIR = join(REPO_ROOT, 'test-output', 'browser')
const PASSWORD = 'password-1'
const NAME = 'web chat page: sign up, rooms, live chat, offline resume, badges, presence'

/** Seqs strictly ascending by one (no gap, no duplicate) and every message rendered with its seq. */
function assertGaplessInOrder (who: string, shown: readonly RenderedMessage[]): number[] {
  const seqs = shown.map((m) => m.seq)
  assert.ok(seqs.every((s) => s !== undefined), `${who}: every message has its seq: ${JSON.stringify(shown)}`)
  const nums = seqs as number[]
  for (let i = 1; i < nums.length; i++) {
    assert.equal(nums[i], (nums[i - 1] as number) + 1, `${who}: seq ${String(nums[i])} follows ${String(nums[i - 1])}: ${JSON.stringify(nums)}`)
  }
  return nums
}

/** The TALK texts in the order shown. */
function talk (shown: readonly RenderedMessage[]): string[] {
  return shown.filter((m) => m.type === 'TALK' || m.type === undefined).map((m) => m.text)
}

if (!existsSync(CHROMIUM)) {
  const why = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium); this test never downloads a browser`
  if (process.env.CI === 'true') {
    test(NAME, () => { throw new Error(why) })
  } else {
    console.warn(`!!! SKIPPING the browser test: ${why}`)
    test(NAME, { skip: why }, () => {})
  }
} else {
  test(NAME, { timeout: 180_000 }, async (t) => {
    mkdirSync(OUT_DIR, { recursive: true })
    const timings: Array<[string, number]> = []
    const step = async (what: string, run: () => Promise<void>): Promise<void> => {
      const startedAt = performance.now()
      await run()
      timings.push([what, performance.now() - startedAt])
    }

    let service: ServiceProcess | undefined
    let browser: Browser | undefined
    const pages: ChatPage[] = []
    t.after(async () => {
      await browser?.close()
      await service?.stop()
      for (const [what, ms] of timings) t.diagnostic(`${String(Math.round(ms)).padStart(6)} ms  ${what}`)
    })

    try {
      await step('start the all-in-one service and Chromium', async () => {
        // Both are kept as soon as each is up, so t.after closes whichever started even when the other failed
        // (a browser left open would keep the test process alive).
        const started = await Promise.allSettled([
          startService('all-in-one', { CHAT_EPHEMERAL: '1' }, { readyTimeoutMs: 90_000 }).then((s) => { service = s }),
          chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }).then((br) => { browser = br }),
        ])
        for (const r of started) if (r.status === 'rejected') throw r.reason
      })
      const url = (service as ServiceProcess).url
      const b = browser as Browser
      const suffix = uniqueName('').replace(/[^A-Za-z0-9]/g, '').slice(-8)
      const aliceName = `alice_${suffix}`
      const bobName = `bob_${suffix}`
      // Alice on a laptop, Bob on a phone (one column under 640 px).
      const [alice, bob] = await Promise.all([
        b.newContext({ viewport: { width: 1100, height: 760 } }).then(async (c) => await ChatPage.open(c, url, 'alice')),
        b.newContext({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true }).then(async (c) => await ChatPage.open(c, url, 'bob')),
      ])
      pages.push(alice, bob)

      await step('1. both sign up through the form and get a live connection', async () => {
        await Promise.all([alice.register(aliceName, PASSWORD), bob.register(bobName, PASSWORD)])
      })

      await step('2. Alice creates a private room and a public one; Bob joins the public one from the list', async () => {
        await alice.createRoom('quiet corner', 'private')
        await alice.createRoom('lobby', 'public')
        await bob.joinPublicRoom('lobby')
        await alice.waitForMessages([`${bobName} joined`])
      })

      await step('3. presence: both see both online', async () => {
        await Promise.all([alice.waitOnline([aliceName, bobName]), bob.waitOnline([aliceName, bobName])])
      })

      await step('4. they chat; each sees the other\'s message, their own goes pending → sent', async () => {
        await Promise.all([alice.recordStates(), bob.recordStates()])
        await alice.send('hello from alice')
        await bob.waitForMessages(['hello from alice'])
        await alice.waitForMessages(['hello from alice'])
        await bob.send('hi alice, bob here')
        await alice.waitForMessages(['hi alice, bob here'])
        await bob.waitForMessages(['hi alice, bob here'])
        for (const [p, text] of [[alice, 'hello from alice'], [bob, 'hi alice, bob here']] as const) {
          const states = await p.statesOf(text)
          assert.equal(states[0], 'pending', `${p.name}: ${text} first shown as pending: ${JSON.stringify(states)}`)
          assert.equal(states[states.length - 1], 'sent', `${p.name}: ${text} ends as sent: ${JSON.stringify(states)}`)
          assert.ok(!states.includes('failed'), `${p.name}: never failed: ${JSON.stringify(states)}`)
        }
      })

      await step('5. typing: Alice sees "bob is typing…", never herself', async () => {
        // Typing events go out at most every few seconds, so Bob keeps typing until Alice sees it, as a person would.
        const box = bob.page.getByLabel('Message', { exact: true })
        const typing = alice.page.locator('#typing', { hasText: `${bobName} is typing…` })
        await waitFor(async () => {
          await box.press('x')
          return await typing.isVisible()
        }, { timeoutMs: WAIT_MS, intervalMs: 200, what: 'Alice sees Bob typing' })
        await box.fill('')
        assert.equal(await bob.page.locator('#typing').textContent(), '')
      })

      const burst = Array.from({ length: 20 }, (_, i) => `burst ${String(i + 1).padStart(2, '0')}`)
      await step('6. Alice drops off the network; Bob sees her go; she writes a message that waits', async () => {
        await alice.context.setOffline(true)
        await alice.waitConnection('offline')
        // The page drops its socket on `offline`, so the server sees her go at once; were the socket cut
        // silently instead, it would take the heart-beat timeout (2 × 10 s).
        await bob.waitOnline([bobName], 3 * WAIT_MS)
        await alice.send('written while offline')
        await alice.page.locator('#messages > li[data-state="pending"]', { hasText: 'written while offline' }).waitFor()
      })

      await step('7. Bob sends 20 messages through the page while Alice is away', async () => {
        for (const text of burst) await bob.send(text)
        await bob.waitForMessages(burst)
        const mine = (await bob.messages()).filter((m) => burst.includes(m.text))
        assert.deepEqual(mine.map((m) => m.state), burst.map(() => 'sent'))
      })

      await step('8. back online: Alice sees all 20 in order, none twice; her waiting message is sent once', async () => {
        await alice.context.setOffline(false)
        await alice.waitConnection('connected')
        await alice.waitForMessages([...burst, 'written while offline'])
        await bob.waitForMessages(['written while offline'])
        await bob.waitOnline([aliceName, bobName])
        const shown = await alice.messages()
        assertGaplessInOrder('alice', shown)
        const texts = talk(shown)
        assert.deepEqual(texts.filter((x) => burst.includes(x)), burst, 'the 20 in order, each once')
        assert.equal(new Set(texts).size, texts.length, `no text twice: ${JSON.stringify(texts)}`)
        assert.equal(texts.filter((x) => x === 'written while offline').length, 1)
        // Both pages show the same room: same seqs, same texts.
        const bobShown = await bob.messages()
        assert.deepEqual(shown.map((m) => [m.seq, m.text]), bobShown.map((m) => [m.seq, m.text]))
        await alice.screenshot(join(OUT_DIR, 'page-after-resume.png'))
      })

      await step('9. unread badges: Alice looks at another room while Bob writes, then comes back', async () => {
        await alice.openRoom('quiet corner')
        const more = ['are you there?', 'three unread', 'for the badge']
        for (const text of more) await bob.send(text)
        await bob.waitForMessages(more)
        await alice.waitUnread('lobby', 3)
        assert.equal(await alice.unread('quiet corner'), 0)
        await alice.openRoom('lobby')
        await alice.waitUnread('lobby', 0)
        await alice.waitForMessages(more)
        assertGaplessInOrder('alice', await alice.messages())
      })

      await step('10. Bob adds Alice to a room with a long history; she scrolls back to the first message', async () => {
        const api = new ChatApi(url)
        const bobApi = await api.user(bobName, PASSWORD)
        const roomId = await api.createRoom(bobApi, 'archive', 'private')
        for (let i = 1; i <= 70; i++) {
          await api.ok('POST', `/api/rooms/${roomId}/messages`, { content: `old ${String(i).padStart(2, '0')}` }, bobApi.accessToken)
        }
        await api.ok('POST', `/api/rooms/${roomId}/members`, { username: aliceName }, bobApi.accessToken)
        await alice.roomButton('archive').waitFor()
        await alice.openRoom('archive')
        await alice.waitForMessages(['old 70'])
        // Away and back: the room is drawn again from what the page holds, and older pages must still go in place.
        await alice.openRoom('lobby')
        await alice.openRoom('archive')
        await alice.waitForMessages(['old 70'])
        const firstPage = await alice.messages()
        const anchorSeq = firstPage[0]?.seq ?? 0
        assert.ok(anchorSeq > 1 && firstPage.length >= 50, `the latest page first: ${JSON.stringify(firstPage.map((m) => m.seq))}`)
        // Scroll to the top as a person would; the page loads what is above and keeps the view where it was.
        const before = await alice.offsetOf(anchorSeq, true)
        await alice.waitForMessages(['old 01'])
        const all = await alice.messages()
        assert.deepEqual(assertGaplessInOrder('alice', all), Array.from({ length: 71 }, (_, i) => i + 1))
        assert.equal(await alice.page.locator('#load-older').isHidden(), true, 'nothing older left')
        const after = await alice.offsetOf(anchorSeq)
        assert.ok(Math.abs(after - before) <= 2, `seq ${anchorSeq} stays in place: ${before} px → ${after} px from the top`)
      })

      await step('11. presence: Bob closes the page, Alice sees him go', async () => {
        await alice.openRoom('lobby')
        await alice.waitOnline([aliceName, bobName])
        await alice.screenshot(join(OUT_DIR, 'alice-end.png'))
        await bob.screenshot(join(OUT_DIR, 'bob-end.png'))
        await bob.page.close()
        await alice.waitOnline([aliceName])
      })

      await step('12. a refused send is shown as failed with the reason; Retry sends it again with the same clientMsgId', async () => {
        const context = await b.newContext({ viewport: { width: 800, height: 600 } })
        const sends = await refuseChatSends(context, 1)
        const carol = await ChatPage.open(context, url, 'carol')
        pages.push(carol)
        const carolName = `carol_${suffix}`
        await carol.register(carolName, PASSWORD)
        await carol.createRoom('solo')
        await carol.send('first try fails')
        const failed = carol.page.locator('#messages > li[data-state="failed"]', { hasText: 'first try fails' })
        await failed.locator('.msg-error', { hasText: 'broker-unavailable' }).waitFor()
        await failed.getByRole('button', { name: 'Retry' }).click()
        await carol.waitForMessages(['first try fails'])
        assert.deepEqual((await carol.messages()).map((m) => [m.text, m.state]), [['first try fails', 'sent']])
        assert.equal(sends.clientMsgIds.length, 2)
        assert.equal(sends.clientMsgIds[0], sends.clientMsgIds[1], 'the retry keeps the clientMsgId')
        const roomId = await carol.page.locator('#room-list button[aria-current="page"]').getAttribute('data-room-id')
        const api = new ChatApi(url)
        const carolApi = await api.user(carolName, PASSWORD)
        const page = await api.ok<{ messages: Array<{ content: string, clientMsgId: string }> }>('GET', `/api/rooms/${String(roomId)}/messages`, undefined, carolApi.accessToken)
        assert.deepEqual(page.messages.map((m) => [m.content, m.clientMsgId]), [['first try fails', sends.clientMsgIds[0]]], 'stored once')
      })

      for (const p of pages) {
        assert.deepEqual(p.errors, [], `${p.name}: no page errors`)
        if (!p.page.isClosed()) assert.deepEqual(await p.page.locator('.notice-error').allTextContents(), [], `${p.name}: no error shown`)
      }
    } catch (err) {
      for (const p of pages) {
        if (!p.page.isClosed()) await p.screenshot(join(OUT_DIR, `failure-${p.name}.png`)).catch(() => {})
        t.diagnostic(`${p.name} page errors: ${JSON.stringify(p.errors)}`)
      }
      t.diagnostic(`service log (tail): ${service?.logs().slice(-3000) ?? ''}`)
      throw err
    }
    assert.ok(timings.every(([, ms]) => ms < WAIT_MS * 2))
  })
}
