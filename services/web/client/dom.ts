import { ApiError } from './api-client.js'

type Attrs = Record<string, string | boolean | undefined>
type Child = Node | string | undefined | false

/** Creates an element: `h('li', { class: 'msg', 'data-seq': '3' }, 'text', child)`. Strings become text. */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    el.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c)
  return el
}

/** The element with `id`, which the page's HTML must have. */
export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} is missing from index.html`)
  return el as T
}

/** What to tell the person about a failure. */
export function describeError (err: unknown): string {
  if (err instanceof ApiError) return err.code === 'NETWORK' ? 'The server could not be reached. Check the connection and try again.' : `${err.message} (${err.code})`
  return err instanceof Error ? err.message : String(err)
}

/** Formats an ISO time as the local hour and minute. */
export function shortTime (iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}
