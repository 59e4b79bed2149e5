import { byId, describeError, h, shortTime } from './dom.js'
import type { Outgoing } from './outbox.js'
import type { PresenceView } from './presence-tracker.js'
import type { RoomState } from './room-directory.js'
import type { ChatMessage, Me } from './wire.js'

export interface RoomViewHandlers {
  send (content: string): void
  typing (): void
  retry (clientMsgId: string): void
  loadOlder (): Promise<void>
  addMember (username: string): Promise<void>
  leave (): Promise<void>
  error (text: string): void
}

/** Where messages being inserted come from, which decides what happens to the scroll position. */
export type InsertKind = 'live' | 'older' | 'gap'

/** Within this many pixels of the bottom counts as "reading the latest": new messages keep it there. */
const NEAR_BOTTOM_PX = 80
/** Start loading older messages this close to the top. */
const NEAR_TOP_PX = 200
/** The composer grows up to this height, then scrolls. */
const COMPOSER_MAX_PX = 160

/**
 * The open room: header (name, who is online, options), the message list, "x is typing…", and the composer.
 * The list holds each seq once, in seq order (a message is inserted in place, whatever order it arrives in),
 * followed by the person's own messages still waiting for their seq. A waiting message keeps its element when
 * its seq arrives, so it turns from pending to sent without ever being shown twice.
 */
export class RoomView {
  #me: Me = { userId: '', username: '' }
  readonly #h: RoomViewHandlers
  readonly #title = byId('room-title')
  readonly #tools = byId<HTMLDetailsElement>('room-tools')
  readonly #presence = byId<HTMLUListElement>('presence')
  readonly #scroller = byId('scroller')
  readonly #older = byId<HTMLButtonElement>('load-older')
  readonly #list = byId<HTMLOListElement>('messages')
  readonly #typing = byId('typing')
  readonly #composer = byId<HTMLFormElement>('composer')
  readonly #input = byId<HTMLTextAreaElement>('composer-input')
  readonly #sendButton = byId<HTMLButtonElement>('composer-send')
  /** Rendered seqs, ascending, and their elements. */
  readonly #seqs: number[] = []
  readonly #bySeq = new Map<number, HTMLLIElement>()
  /** Own messages without a seq yet, by clientMsgId, in the order sent. */
  readonly #waiting = new Map<string, HTMLLIElement>()
  #roomId: string | undefined
  #hasOlder = false
  #isLoadingOlder = false

  constructor (handlers: RoomViewHandlers) {
    this.#h = handlers
    this.#composer.addEventListener('submit', (e) => {
      e.preventDefault()
      this.#submit()
    })
    this.#input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault()
        this.#submit()
      }
    })
    this.#input.addEventListener('input', () => {
      this.#fitComposer()
      if (this.#input.value.trim() !== '') handlers.typing()
    })
    this.#older.addEventListener('click', () => this.#loadOlder())
    this.#scroller.addEventListener('scroll', () => {
      if (this.#scroller.scrollTop < NEAR_TOP_PX) this.#loadOlder()
    }, { passive: true })
    this.#list.addEventListener('click', (e) => {
      const id = (e.target as Element).closest<HTMLButtonElement>('button[data-retry]')?.dataset.retry
      if (id !== undefined) handlers.retry(id)
    })
    const addForm = byId<HTMLFormElement>('add-member')
    const addName = byId<HTMLInputElement>('add-member-name')
    addForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const name = addName.value.trim()
      if (name === '') return
      handlers.addMember(name).then(() => { addName.value = '' }, (err: unknown) => handlers.error(describeError(err)))
    })
    byId('leave-room').addEventListener('click', () => {
      handlers.leave().catch((err: unknown) => handlers.error(describeError(err)))
    })
  }

  /** Whose page this is: their messages are marked as theirs. */
  setUser (me: Me): void {
    this.#me = me
  }

  get roomId (): string | undefined {
    return this.#roomId
  }

  /** Shows a room: what the store holds so far, then the waiting messages. */
  open (room: RoomState, messages: readonly ChatMessage[], waiting: readonly Outgoing[]): void {
    this.#reset()
    this.#roomId = room.id
    this.rename(room)
    this.#tools.hidden = false
    this.#tools.open = false
    this.#input.disabled = false
    this.#sendButton.disabled = false
    for (const m of messages) {
      const el = this.#messageElement(m)
      this.#seqs.push(m.seq)
      this.#bySeq.set(m.seq, el)
    }
    this.#list.append(...this.#bySeq.values())
    for (const o of waiting) this.outgoingChanged(o)
    this.#scrollToBottom()
  }

  /** No room open. */
  close (): void {
    this.#reset()
    this.#title.textContent = 'Pick a room'
    this.#tools.hidden = true
    this.#input.disabled = true
    this.#sendButton.disabled = true
    this.setPresence({ online: [], typing: [] })
  }

  rename (room: RoomState): void {
    this.#title.textContent = room.name + (room.visibility === 'private' ? ' (private)' : '')
  }

  focusComposer (): void {
    this.#input.focus()
  }

  setHasOlder (hasOlder: boolean): void {
    this.#hasOlder = hasOlder
    if (this.#older.hidden === !hasOlder) return
    // The button sits above the messages: keep what is in view where it is when it comes or goes.
    const fromBottom = this.#scroller.scrollHeight - this.#scroller.scrollTop
    this.#older.hidden = !hasOlder
    this.#scroller.scrollTop = this.#scroller.scrollHeight - fromBottom
  }

  /**
   * Inserts messages of the open room in seq order. `settled`: own messages the stream brought back, by
   * clientMsgId; their waiting element becomes the message's element.
   */
  insert (messages: readonly ChatMessage[], kind: InsertKind, settled: ReadonlySet<string> = new Set()): void {
    if (messages.length === 0) return
    const s = this.#scroller
    const wasNearBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX
    const fromBottom = s.scrollHeight - s.scrollTop
    for (const m of messages) {
      if (m.roomId !== this.#roomId || this.#bySeq.has(m.seq)) continue
      const waiting = settled.has(m.clientMsgId) ? this.#waiting.get(m.clientMsgId) : undefined
      let el: HTMLLIElement
      if (waiting !== undefined) {
        this.#waiting.delete(m.clientMsgId)
        el = waiting
        this.#fillMessage(el, m)
      } else {
        el = this.#messageElement(m)
      }
      const i = this.#indexFor(m.seq)
      const next = i < this.#seqs.length ? this.#bySeq.get(this.#seqs[i] as number) : this.#waiting.values().next().value
      if (el.nextElementSibling !== (next ?? null) || el.parentElement !== this.#list) this.#list.insertBefore(el, next ?? null)
      this.#seqs.splice(i, 0, m.seq)
      this.#bySeq.set(m.seq, el)
    }
    if (kind === 'live' ? wasNearBottom : wasNearBottom && kind === 'gap') this.#scrollToBottom()
    else if (kind !== 'live') s.scrollTop = s.scrollHeight - fromBottom
  }

  /** Adds or updates one of the person's own messages that has no seq yet. */
  outgoingChanged (o: Outgoing): void {
    if (o.roomId !== this.#roomId) return
    let el = this.#waiting.get(o.clientMsgId)
    if (el === undefined) {
      el = this.#messageShell(true)
      el.dataset.clientMsgId = o.clientMsgId
      this.#waiting.set(o.clientMsgId, el)
      this.#list.append(el)
      this.#scrollToBottom()
    }
    const [head, text] = el.children as unknown as [HTMLElement, HTMLElement]
    ;(head.querySelector('.msg-sender') as HTMLElement).textContent = this.#me.username
    text.textContent = o.content
    this.#setState(el, o.state, o.error)
  }

  setPresence (view: PresenceView): void {
    this.#presence.replaceChildren(...view.online.map((m) => h('li', {
      'data-user-id': m.userId,
      'data-sessions': String(m.sessions),
    }, m.username, m.userId === this.#me.userId ? h('span', { class: 'hint' }, ' (you)') : undefined)))
    const t = view.typing
    this.#typing.textContent = t.length === 0
      ? ''
      : t.length === 1 ? `${t[0] as string} is typing…` : t.length === 2 ? `${t[0] as string} and ${t[1] as string} are typing…` : `${t.length} people are typing…`
  }

  #submit (): void {
    const content = this.#input.value.trim()
    if (content === '' || this.#roomId === undefined) return
    this.#input.value = ''
    this.#fitComposer()
    this.#h.send(content)
  }

  #loadOlder (): void {
    if (!this.#hasOlder || this.#isLoadingOlder || this.#roomId === undefined) return
    const roomId = this.#roomId
    this.#isLoadingOlder = true
    this.#older.textContent = 'Loading older messages…'
    this.#h.loadOlder().catch((err: unknown) => this.#h.error(describeError(err))).finally(() => {
      this.#isLoadingOlder = false
      this.#older.textContent = 'Load older messages'
      // Still no scroll bar: keep going until there is one or nothing is left.
      if (this.#roomId === roomId && this.#scroller.scrollHeight <= this.#scroller.clientHeight) this.#loadOlder()
    })
  }

  #indexFor (seq: number): number {
    let lo = 0
    let hi = this.#seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#seqs[mid] as number) < seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #messageShell (isMine: boolean): HTMLLIElement {
    return h('li', { class: isMine ? 'msg msg-mine' : 'msg' },
      h('p', { class: 'msg-head' }, h('span', { class: 'msg-sender' }), ' ', h('time', {}), ' ', h('span', { class: 'msg-status' })),
      h('p', { class: 'msg-text' }))
  }

  #messageElement (m: ChatMessage): HTMLLIElement {
    const el = this.#messageShell(m.senderId === this.#me.userId)
    this.#fillMessage(el, m)
    return el
  }

  #fillMessage (el: HTMLLIElement, m: ChatMessage): void {
    const isMine = m.senderId === this.#me.userId
    el.dataset.seq = String(m.seq)
    el.dataset.type = m.type
    el.dataset.clientMsgId = m.clientMsgId
    el.classList.toggle('msg-system', m.type !== 'TALK')
    const [head, text] = el.children as unknown as [HTMLElement, HTMLElement]
    ;(head.querySelector('.msg-sender') as HTMLElement).textContent = m.senderName
    const time = head.querySelector('time') as HTMLTimeElement
    time.dateTime = m.sentAt
    time.textContent = shortTime(m.sentAt)
    text.textContent = m.content
    if (isMine && m.type === 'TALK') this.#setState(el, 'sent', undefined)
    else {
      delete el.dataset.state
      ;(head.querySelector('.msg-status') as HTMLElement).textContent = ''
    }
  }

  #setState (el: HTMLLIElement, state: Outgoing['state'], error: string | undefined): void {
    el.dataset.state = state
    const status = el.querySelector('.msg-status') as HTMLElement
    status.textContent = state === 'pending' ? 'Sending…' : state === 'sent' ? 'Sent' : 'Not sent'
    el.querySelector('.msg-error')?.remove()
    if (state === 'failed') {
      const id = el.dataset.clientMsgId ?? ''
      el.append(h('p', { class: 'msg-error', role: 'alert' }, `${error ?? 'Not sent.'} `,
        h('button', { type: 'button', class: 'link', 'data-retry': id }, 'Retry')))
    }
  }

  #scrollToBottom (): void {
    this.#scroller.scrollTop = this.#scroller.scrollHeight
  }

  #fitComposer (): void {
    this.#input.style.height = 'auto'
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, COMPOSER_MAX_PX)}px`
  }

  #reset (): void {
    this.#roomId = undefined
    this.#seqs.length = 0
    this.#bySeq.clear()
    this.#waiting.clear()
    this.#list.replaceChildren()
    this.setHasOlder(false)
    this.#typing.textContent = ''
  }
}
