import type { BrowserContext, Page } from 'playwright-core'

/** What the test reads back from a rendered message: `#messages li`. */
export interface RenderedMessage {
  /** Undefined while the message waits for its seq (pending, or sent without the MESSAGE yet). */
  readonly seq: number | undefined
  readonly text: string
  readonly state: string | undefined
  readonly type: string | undefined
}

// The callbacks given to page.evaluate run in the browser. This package's tsconfig has no DOM lib (and adding
// it would change the globals of every other test here), so the little of the DOM they use is described here,
// module-scoped.
interface PageElement {
  readonly dataset: Record<string, string | undefined>
  readonly textContent: string | null
  readonly firstChild: PageElement | null
  readonly nodeName: string
  scrollTop: number
  querySelector (selector: string): PageElement | null
  getBoundingClientRect (): { readonly top: number }
}
interface PageMutation {
  readonly type: string
  readonly target: PageElement
  readonly addedNodes: Iterable<PageElement>
}
declare const document: {
  querySelectorAll (selector: string): Iterable<PageElement>
  getElementById (id: string): PageElement | null
}
declare const window: object
declare class MutationObserver {
  constructor (callback: (records: PageMutation[]) => void)
  observe (target: PageElement, options: object): void
}

/** How long a DOM condition may take before the test fails. */
export const WAIT_MS = 15_000

/**
 * One person's chat page in its own browser context, driven through the page's own controls (forms, buttons,
 * the keyboard) and read back from the rendered DOM, never from the page's internals.
 */
export class ChatPage {
  readonly name: string
  readonly context: BrowserContext
  readonly page: Page
  readonly errors: string[] = []

  constructor (name: string, context: BrowserContext, page: Page) {
    this.name = name
    this.context = context
    this.page = page
    page.on('pageerror', (err) => this.errors.push(`pageerror: ${err.message}`))
    page.on('console', (m) => { if (m.type() === 'error') this.errors.push(`console: ${m.text()}`) })
  }

  static async open (context: BrowserContext, url: string, name: string): Promise<ChatPage> {
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT_MS)
    await page.goto(url)
    return new ChatPage(name, context, page)
  }

  /** Creates the account through the form (which then logs in) and waits for the live connection. */
  async register (username: string, password: string): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username)
    await this.page.getByLabel('Password', { exact: true }).fill(password)
    await this.page.getByRole('button', { name: 'Create account' }).click()
    await this.page.locator('#chat:not([hidden])').waitFor()
    await this.waitConnection('connected')
  }

  async waitConnection (state: string): Promise<void> {
    await this.page.locator(`#conn[data-state="${state}"]`).waitFor()
  }

  /** On a phone-width page the room list is behind the "Rooms" toggle. */
  async showRooms (): Promise<void> {
    const toggle = this.page.locator('#rooms-toggle')
    if (await toggle.isVisible() && await toggle.getAttribute('aria-expanded') !== 'true') await toggle.click()
  }

  async createRoom (name: string, visibility: 'public' | 'private' = 'public'): Promise<void> {
    await this.showRooms()
    await this.page.getByLabel('Name', { exact: true }).fill(name)
    await this.page.getByLabel('Who can join').selectOption(visibility)
    await this.page.getByRole('button', { name: 'Create room' }).click()
    await this.page.locator('#room-title', { hasText: name }).waitFor()
  }

  async joinPublicRoom (name: string): Promise<void> {
    await this.showRooms()
    await this.page.locator('#public-refresh').click()
    await this.page.getByRole('button', { name: `Join ${name}` }).click()
    await this.page.locator('#room-title', { hasText: name }).waitFor()
  }

  async openRoom (name: string): Promise<void> {
    await this.showRooms()
    await this.roomButton(name).click()
    await this.page.locator('#room-title', { hasText: name }).waitFor()
  }

  roomButton (name: string): ReturnType<Page['locator']> {
    return this.page.locator('#room-list button[data-room-id]', { has: this.page.locator('.room-name', { hasText: name }) })
  }

  /** The unread badge of a room in the list (0 when hidden). */
  async unread (name: string): Promise<number> {
    const badge = this.roomButton(name).locator('.badge')
    return await badge.isHidden() ? 0 : Number(await badge.getAttribute('data-unread'))
  }

  async waitUnread (name: string, n: number): Promise<void> {
    await this.roomButton(name).locator(n === 0 ? '.badge[hidden]' : `.badge[data-unread="${n}"]:not([hidden])`).waitFor({ state: 'attached' })
  }

  /** Types a message and presses Enter, as a person does. */
  async send (text: string): Promise<void> {
    const box = this.page.getByLabel('Message', { exact: true })
    await box.fill(text)
    await box.press('Enter')
  }

  async messages (): Promise<RenderedMessage[]> {
    return await this.page.locator('#messages > li').evaluateAll((items) => (items as unknown as PageElement[]).map((li) => {
      const d = li.dataset
      return {
        seq: d.seq === undefined ? undefined : Number(d.seq),
        text: li.querySelector('.msg-text')?.textContent ?? '',
        state: d.state,
        type: d.type,
      }
    }))
  }

  /** Waits until every text is rendered with a seq (so it came back from the room stream). */
  async waitForMessages (texts: readonly string[]): Promise<void> {
    await this.page.waitForFunction((wanted) => {
      const shown = new Set([...document.querySelectorAll('#messages > li[data-seq]')]
        .map((li) => li.querySelector('.msg-text')?.textContent))
      return wanted.every((t) => shown.has(t))
    }, texts, { timeout: WAIT_MS })
  }

  async online (): Promise<string[]> {
    return await this.page.locator('#presence > li').evaluateAll((items) => (items as unknown as PageElement[]).map((li) => li.firstChild?.textContent ?? ''))
  }

  async waitOnline (names: readonly string[], timeoutMs = WAIT_MS): Promise<void> {
    await this.page.waitForFunction((wanted) => {
      const shown = [...document.querySelectorAll('#presence > li')].map((li) => li.firstChild?.textContent ?? '').sort()
      return JSON.stringify(shown) === JSON.stringify([...wanted].sort())
    }, names, { timeout: timeoutMs })
  }

  /**
   * Records every `data-state` a message element shows, from the moment it is added, so a state that lasts
   * only a few milliseconds (pending until the RECEIPT) is still seen. Read back with `statesOf`.
   */
  async recordStates (): Promise<void> {
    await this.page.evaluate(() => {
      const seen: Array<[string, string]> = []
      const w = window as unknown as { __states: Array<[string, string]> }
      w.__states = seen
      // No named inner functions here: the test runner's transpiler would wrap them in a helper the page lacks.
      new MutationObserver((records) => {
        for (const r of records) {
          const changed = r.type === 'attributes' ? [r.target] : [...r.addedNodes].filter((n) => n.nodeName === 'LI')
          for (const el of changed) {
            const state = el.dataset.state
            if (state !== undefined) seen.push([el.querySelector('.msg-text')?.textContent ?? '', state])
          }
        }
      }).observe(document.getElementById('messages') as PageElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'] })
    })
  }

  async statesOf (text: string): Promise<string[]> {
    return await this.page.evaluate((t) => {
      const w = window as unknown as { __states?: Array<[string, string]> }
      return (w.__states ?? []).filter(([text]) => text === t).map(([, state]) => state)
    }, text)
  }

  /**
   * Pixels from the top of the message scroller to the message with `seq`; with `scrollToTop`, scrolls to the
   * top first, in the same turn, so the page has had no chance to load anything yet.
   */
  async offsetOf (seq: number, scrollToTop = false): Promise<number> {
    return await this.page.locator('#scroller').evaluate((el, [s, toTop]) => {
      const scroller = el as unknown as PageElement
      if (toTop) scroller.scrollTop = 0
      const message = scroller.querySelector(`#messages > li[data-seq="${s}"]`) as PageElement
      return message.getBoundingClientRect().top - scroller.getBoundingClientRect().top
    }, [String(seq), scrollToTop] as const)
  }

  async screenshot (path: string): Promise<void> {
    await this.page.screenshot({ path, fullPage: true })
  }
}
