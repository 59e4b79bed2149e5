import { byId, describeError, h } from './dom.js'
import type { RoomState } from './room-directory.js'
import type { RoomListItem, Visibility } from './wire.js'

export interface RoomListHandlers {
  open (roomId: string): void
  create (name: string, visibility: Visibility): Promise<void>
  browse (): Promise<readonly RoomListItem[]>
  join (roomId: string): Promise<void>
  error (text: string): void
}

const TITLE = document.title

/** The side bar: my rooms with unread badges, a form to create a room, and the public rooms to join. */
export class RoomListView {
  readonly #h: RoomListHandlers
  readonly #nav = byId('rooms-nav')
  readonly #list = byId<HTMLUListElement>('room-list')
  readonly #empty = byId('room-list-empty')
  readonly #publicList = byId<HTMLUListElement>('public-list')
  readonly #publicButton = byId<HTMLButtonElement>('public-refresh')
  readonly #toggle = byId<HTMLButtonElement>('rooms-toggle')
  readonly #toggleBadge = byId('rooms-toggle-unread')
  readonly #items = new Map<string, HTMLLIElement>()
  #openId: string | undefined

  constructor (handlers: RoomListHandlers) {
    this.#h = handlers
    const form = byId<HTMLFormElement>('create-room')
    const name = byId<HTMLInputElement>('create-name')
    const visibility = byId<HTMLSelectElement>('create-visibility')
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = name.value.trim()
      if (text === '') {
        handlers.error('A room needs a name.')
        name.focus()
        return
      }
      this.#busy(form, handlers.create(text, visibility.value === 'private' ? 'private' : 'public').then(() => {
        name.value = ''
      }))
    })
    this.#publicButton.addEventListener('click', () => { void this.refreshPublic() })
    this.#list.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-room-id]')
      if (button?.dataset.roomId !== undefined) handlers.open(button.dataset.roomId)
    })
    this.#publicList.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-join]')
      const id = button?.dataset.join
      if (button === null || button === undefined || id === undefined) return
      button.disabled = true
      handlers.join(id).then(async () => await this.refreshPublic(), (err: unknown) => {
        button.disabled = false
        handlers.error(describeError(err))
      })
    })
    this.#toggle.addEventListener('click', () => {
      const isShown = this.#toggle.getAttribute('aria-expanded') !== 'true'
      this.showNav(isShown)
      if (isShown) (this.#list.querySelector('button') ?? byId('create-name')).focus()
    })
    this.#nav.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || !this.#nav.classList.contains('is-open')) return
      this.showNav(false)
      this.#toggle.focus()
    })
  }

  /** Renders my rooms, updating rows in place so focus and scroll stay where they are. */
  render (rooms: readonly RoomState[], unread: (id: string) => number, openId: string | undefined): void {
    this.#openId = openId
    const wanted = new Set(rooms.map((r) => r.id))
    for (const [id, li] of this.#items) {
      if (!wanted.has(id)) {
        li.remove()
        this.#items.delete(id)
      }
    }
    let totalUnread = 0
    rooms.forEach((room, index) => {
      let li = this.#items.get(room.id)
      if (li === undefined) {
        li = h('li', {}, h('button', { type: 'button', class: 'room-button', 'data-room-id': room.id },
          h('span', { class: 'room-name' }), h('span', { class: 'badge', hidden: true })))
        this.#items.set(room.id, li)
      }
      const n = unread(room.id)
      totalUnread += n
      const button = li.firstElementChild as HTMLButtonElement
      const [nameEl, badge] = button.children as unknown as [HTMLElement, HTMLElement]
      nameEl.textContent = room.name
      button.dataset.visibility = room.visibility
      badge.textContent = n > 99 ? '99+' : String(n)
      badge.hidden = n === 0
      badge.dataset.unread = String(n)
      button.setAttribute('aria-label', `${room.name}${room.visibility === 'private' ? ', private' : ''}${n > 0 ? `, ${n} unread` : ''}`)
      if (room.id === openId) button.setAttribute('aria-current', 'page')
      else button.removeAttribute('aria-current')
      if (this.#list.children[index] !== li) this.#list.insertBefore(li, this.#list.children[index] ?? null)
    })
    this.#empty.hidden = rooms.length > 0
    this.#toggleBadge.textContent = String(totalUnread)
    this.#toggleBadge.hidden = totalUnread === 0
    document.title = totalUnread > 0 ? `(${totalUnread}) ${TITLE}` : TITLE
  }

  async refreshPublic (): Promise<void> {
    this.#publicButton.disabled = true
    try {
      const rooms = await this.#h.browse()
      this.#publicList.replaceChildren(...rooms.map((r) => h('li', { 'data-room-id': r.id },
        h('span', { class: 'room-name' }, r.name),
        r.member === true
          ? h('span', { class: 'hint' }, r.id === this.#openId ? 'open' : 'joined')
          : h('button', { type: 'button', 'data-join': r.id, 'aria-label': `Join ${r.name}` }, 'Join'))))
      if (rooms.length === 0) this.#publicList.append(h('li', { class: 'hint' }, 'No public rooms yet.'))
      this.#publicButton.textContent = 'Refresh public rooms'
    } catch (err) {
      this.#h.error(describeError(err))
    } finally {
      this.#publicButton.disabled = false
    }
  }

  /** On a narrow screen the side bar is shown on request. */
  showNav (isShown: boolean): void {
    this.#toggle.setAttribute('aria-expanded', String(isShown))
    this.#nav.classList.toggle('is-open', isShown)
  }

  clear (): void {
    document.title = TITLE
    this.#items.clear()
    this.#list.replaceChildren()
    this.#publicList.replaceChildren()
    this.#publicButton.textContent = 'Show public rooms'
  }

  #busy (form: HTMLFormElement, work: Promise<void>): void {
    const buttons = form.querySelectorAll('button')
    for (const b of buttons) b.disabled = true
    work.catch((err: unknown) => this.#h.error(describeError(err))).finally(() => {
      for (const b of buttons) b.disabled = false
    })
  }
}
