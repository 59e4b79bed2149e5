import { h } from './dom.js'

/** Errors stay until dismissed (at most this many at once); information goes away by itself. */
const MAX_SHOWN = 4
const INFO_SHOWN_MS = 6_000

/**
 * Messages for the person: errors and information in a visible live region, and a screen-reader-only
 * announcer for new chat messages (the message list itself is not live, so loading older messages is not read out).
 */
export class Notices {
  readonly #region: HTMLElement
  readonly #announcer: HTMLElement

  constructor (region: HTMLElement, announcer: HTMLElement) {
    this.#region = region
    this.#announcer = announcer
  }

  error (text: string): void {
    this.#add(text, 'error')
  }

  info (text: string): void {
    const item = this.#add(text, 'info')
    setTimeout(() => item.remove(), INFO_SHOWN_MS)
  }

  /** Read out by screen readers, not shown. */
  announce (text: string): void {
    this.#announcer.textContent = text
  }

  clear (): void {
    this.#region.replaceChildren()
  }

  #add (text: string, kind: 'error' | 'info'): HTMLElement {
    const close = h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss' }, '×')
    const item = h('p', { class: `notice notice-${kind}` }, h('span', {}, text), close)
    close.addEventListener('click', () => item.remove())
    this.#region.append(item)
    while (this.#region.children.length > MAX_SHOWN) this.#region.firstElementChild?.remove()
    return item
  }
}
