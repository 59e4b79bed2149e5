import type { IFrame, IMessage } from '@stomp/stompjs'
import type { ApiClient } from './api-client.js'
import type { AuthSession } from './auth-session.js'
import { describeError } from './dom.js'
import { MessageStore } from './message-store.js'
import type { Notices } from './notices.js'
import { Outbox } from './outbox.js'
import { PresenceTracker } from './presence-tracker.js'
import { RoomDirectory } from './room-directory.js'
import type { RoomListView } from './room-list-view.js'
import type { InsertKind, RoomView } from './room-view.js'
import { ChatConnection, type ConnectionStatus } from './stomp-connection.js'
import {
  dest, parseBody, type ChatMessage, type Me, type MessagePage, type Notification, type OnlineMember, type PresenceEvent,
  type QueuedError, type RoomListItem, type TypingEvent, type Visibility,
} from './wire.js'

export interface ChatAppDeps {
  readonly api: ApiClient
  readonly session: AuthSession
  readonly me: Me
  readonly notices: Notices
  readonly roomView: RoomView
  readonly roomList: RoomListView
  readonly onStatus: (status: ConnectionStatus) => void
}

const PAGE_SIZE = 50
const GAP_PAGE_SIZE = 100
/** At most one typing SEND this often while the person types. */
const TYPING_EVERY_MS = 3_000
const TYPING_AFTER_SEND_MS = 1_000
/** Read markers are sent at most this often (a burst of messages moves the marker once). */
const READ_EVERY_MS = 300
const OPEN_ROOM_KEY = 'chat.openRoom'
/** Room streams kept subscribed: the server allows 256 subscriptions a session; 5 are for the rest. */
const MAX_ROOM_STREAMS = 250
/** Live messages arriving within this long are rendered together. */
const BATCH_MS = 16

/**
 * The chat of one signed-in person. Every room they are in has a standing subscription to its stream (so
 * badges count messages in rooms not open), resumed on every reconnect with `since-seq` = the highest seq held;
 * the open room also listens to presence and typing. All messages go through one path (`#ingest`) whatever
 * brought them: live, backfill, REST page or gap fill. That path keeps each seq once, settles the person's
 * waiting sends, moves the unread counts and renders.
 */
export class ChatApp {
  readonly #api: ApiClient
  readonly #session: AuthSession
  readonly #me: Me
  readonly #notices: Notices
  readonly #view: RoomView
  readonly #list: RoomListView
  readonly #rooms: RoomDirectory
  readonly #store = new MessageStore()
  readonly #outbox: Outbox
  readonly #presence: PresenceTracker
  readonly #conn: ChatConnection
  #openId: string | undefined
  /** Room frames not rendered yet (see #roomFrame). */
  readonly #incoming = new Map<string, Array<{ message: ChatMessage, isRecovered: boolean }>>()
  #roomsChain: Promise<void> = Promise.resolve()
  #lastTypingAt = 0
  #readTimer: ReturnType<typeof setTimeout> | undefined
  readonly #readToSend = new Map<string, number>()
  #tokenReceipts = 0
  #connects = 0
  #hasRooms = false
  /** Room streams subscribed, and the one past the cap watched because it was opened. */
  #watched = 0
  #extraWatched: string | undefined
  #isStopped = false
  readonly #stopTokens: () => void
  readonly #onVisible = (): void => { if (document.visibilityState === 'visible') this.#markRead() }

  constructor (deps: ChatAppDeps) {
    this.#api = deps.api
    this.#session = deps.session
    this.#me = deps.me
    this.#notices = deps.notices
    this.#view = deps.roomView
    this.#list = deps.roomList
    this.#rooms = new RoomDirectory(deps.me.userId)
    this.#rooms.onChange(() => this.#renderList())
    this.#presence = new PresenceTracker(deps.me.userId, (v) => { if (this.#openId !== undefined) this.#view.setPresence(v) })
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    this.#conn = new ChatConnection({
      brokerURL: `${scheme}//${location.host}/ws`,
      token: async () => await this.#session.token(),
      onStatus: deps.onStatus,
      onConnected: () => this.#connected(),
      onReceipt: (frame) => this.#receipt(frame),
      onAuthError: () => this.#session.markExpired(),
      onError: (text) => this.#notices.error(`Connection error: ${text}`),
    })
    this.#outbox = new Outbox({
      publish: (destination, body, headers) => this.#conn.publish(destination, body, headers),
      onChange: (item) => this.#view.outgoingChanged(item),
    })
    this.#stopTokens = this.#session.onToken((token) => this.#sendToken(token))
  }

  async start (): Promise<void> {
    this.#view.setUser(this.#me)
    this.#view.close()
    document.addEventListener('visibilitychange', this.#onVisible)
    this.#conn.subscribe('errors', { destination: dest.errors, onMessage: (m) => this.#queuedError(m) })
    this.#conn.subscribe('notifications', { destination: dest.notifications, onMessage: (m) => this.#notification(m) })
    try {
      await this.#refreshRooms()
    } catch (err) {
      if (!this.#isStopped) this.#notices.error(`Could not load your rooms: ${describeError(err)}`)
    }
    if (this.#isStopped) return
    this.#conn.start()
    const remembered = sessionStorage.getItem(OPEN_ROOM_KEY)
    const first = remembered !== null && this.#rooms.has(remembered) ? remembered : this.#rooms.list()[0]?.id
    if (first !== undefined) this.openRoom(first)
  }

  async stop (): Promise<void> {
    if (this.#isStopped) return
    this.#isStopped = true
    this.#stopTokens()
    document.removeEventListener('visibilitychange', this.#onVisible)
    clearTimeout(this.#readTimer)
    this.#outbox.clear()
    this.#presence.reset()
    this.#openId = undefined
    this.#view.close()
    this.#list.clear()
    await this.#conn.stop()
  }

  // --- rooms ---------------------------------------------------------------------------------------

  openRoom (roomId: string): void {
    const room = this.#rooms.get(roomId)
    if (room === undefined || this.#isStopped) return
    this.#list.showNav(false)
    if (this.#openId === roomId) {
      this.#view.focusComposer()
      return
    }
    this.#openId = roomId
    sessionStorage.setItem(OPEN_ROOM_KEY, roomId)
    this.#watchRoom(roomId)
    const held = this.#store.room(roomId)
    this.#view.open(room, held.list(), this.#outbox.pendingIn(roomId))
    this.#renderList()
    this.#watchPresence(roomId)
    this.#markRead()
    this.#view.focusComposer()
    // The latest page over REST; the stream (subscribed with since-seq) covers everything after it.
    this.#api.get<MessagePage>(`/rooms/${roomId}/messages?limit=${PAGE_SIZE}`).then((page) => {
      if (this.#openId !== roomId) return
      this.#ingest(roomId, page.messages, 'gap')
      this.#view.setHasOlder(this.#store.room(roomId).hasOlder)
      this.#markRead()
    }, (err: unknown) => this.#notices.error(`Could not load the messages: ${describeError(err)}`))
  }

  /** Infinite scroll-back: the page before the oldest seq held. */
  async loadOlder (): Promise<void> {
    const roomId = this.#openId
    if (roomId === undefined) return
    const held = this.#store.room(roomId)
    if (!held.hasOlder) return
    const page = await this.#api.get<MessagePage>(`/rooms/${roomId}/messages?before=${held.first}&limit=${PAGE_SIZE}`)
    if (this.#openId !== roomId) return
    this.#ingest(roomId, page.messages, 'older')
    this.#view.setHasOlder(page.messages.length > 0 && this.#store.room(roomId).hasOlder)
  }

  async createRoom (name: string, visibility: Visibility): Promise<void> {
    const room = await this.#api.post<{ id: string }>('/rooms', { name, visibility })
    await this.#refreshRooms()
    this.openRoom(room.id)
    this.#notices.info(`Room ${name} created.`)
  }

  async browsePublic (): Promise<readonly RoomListItem[]> {
    return await this.#api.get<RoomListItem[]>('/rooms?scope=public')
  }

  async joinRoom (roomId: string): Promise<void> {
    await this.#api.post(`/rooms/${roomId}/join`)
    await this.#refreshRooms()
    this.openRoom(roomId)
  }

  async addMember (username: string): Promise<void> {
    const roomId = this.#openId
    if (roomId === undefined) return
    await this.#api.post(`/rooms/${roomId}/members`, { username })
    this.#notices.info(`${username} can now read and write in this room.`)
  }

  async leaveRoom (): Promise<void> {
    const roomId = this.#openId
    if (roomId === undefined) return
    const name = this.#rooms.get(roomId)?.name ?? 'the room'
    await this.#api.post(`/rooms/${roomId}/leave`)
    this.#forgetRoom(roomId, false)
    this.#notices.info(`You left ${name}.`)
  }

  /** Re-reads my rooms; serialised, so a list requested after a change always reflects it. */
  async #refreshRooms (): Promise<void> {
    const run = this.#roomsChain.then(async () => {
      const items = await this.#api.get<RoomListItem[]>('/rooms')
      if (this.#isStopped) return
      this.#hasRooms = true
      const { added, removed } = this.#rooms.replaceAll(items)
      for (const id of added) this.#watchRoom(id)
      for (const id of removed) this.#forgetRoom(id, true)
    })
    this.#roomsChain = run.catch(() => {})
    await run
  }

  /**
   * Subscribes a room's stream, within the server's 256 subscriptions a session (past the cap a rooms stays
   * unwatched: no live badge until it is opened, which watches it in place of the last one opened that way).
   */
  #watchRoom (roomId: string): void {
    if (this.#conn.has(`room:${roomId}`)) return
    if (this.#watched >= MAX_ROOM_STREAMS) {
      if (roomId !== this.#openId) return
      if (this.#extraWatched !== undefined) this.#unwatchRoom(this.#extraWatched, false)
      this.#extraWatched = roomId
    }
    this.#watched++
    this.#conn.subscribe(`room:${roomId}`, {
      destination: dest.room(roomId),
      // The highest seq held (shown, for the open room), so the resume has no gap and no duplicate.
      headers: () => {
        const last = this.#store.room(roomId).last
        return { 'since-seq': String(last > 0 ? last : this.#rooms.get(roomId)?.lastSeq ?? 0) }
      },
      onMessage: (m) => this.#roomFrame(roomId, m),
    })
  }

  #unwatchRoom (roomId: string, isDroppedByServer: boolean): void {
    if (!this.#conn.has(`room:${roomId}`)) return
    this.#watched--
    if (this.#extraWatched === roomId) this.#extraWatched = undefined
    if (isDroppedByServer) this.#conn.forget(`room:${roomId}`)
    else this.#conn.unsubscribe(`room:${roomId}`)
  }

  /** `isDroppedByServer`: the server already ended the subscriptions (a `removed` notification). */
  #forgetRoom (roomId: string, isDroppedByServer: boolean): void {
    this.#unwatchRoom(roomId, isDroppedByServer)
    this.#rooms.remove(roomId)
    this.#store.drop(roomId)
    this.#outbox.dropRoom(roomId)
    if (this.#openId !== roomId) return
    this.#openId = undefined
    sessionStorage.removeItem(OPEN_ROOM_KEY)
    for (const key of ['presence', 'typing']) {
      if (isDroppedByServer) this.#conn.forget(key)
      else this.#conn.unsubscribe(key)
    }
    this.#presence.reset()
    this.#view.close()
    const next = this.#rooms.list()[0]
    if (next !== undefined) this.openRoom(next.id)
  }

  #renderList (): void {
    this.#list.render(this.#rooms.list(), (id) => this.#rooms.unread(id), this.#openId)
  }

  // --- messages ------------------------------------------------------------------------------------

  /**
   * Room MESSAGE frames are taken in batches, one per animation frame's worth of time: a backfill brings up to
   * 1,000 frames, each its own WebSocket message, and rendering them one by one would lay the list out 1,000 times.
   */
  #roomFrame (roomId: string, frame: IMessage): void {
    const m = parseBody<ChatMessage>(frame.body)
    if (m === undefined || typeof m.seq !== 'number' || m.roomId !== roomId) return
    let batch = this.#incoming.get(roomId)
    if (batch === undefined) {
      batch = []
      this.#incoming.set(roomId, batch)
    }
    batch.push({ message: m, isRecovered: frame.headers['x-recovered'] !== 'false' })
    if (this.#incoming.size === 1 && batch.length === 1) setTimeout(() => this.#takeIncoming(), BATCH_MS)
  }

  #takeIncoming (): void {
    const batches = [...this.#incoming]
    this.#incoming.clear()
    if (this.#isStopped) return
    for (const [roomId, batch] of batches) {
      const held = this.#store.room(roomId)
      let last = held.last
      for (const { message, isRecovered } of batch) {
        // A backfill cut at 1,000: the messages between what is held and this one come over REST.
        if (!isRecovered && last > 0 && message.seq > last + 1) {
          if (roomId === this.#openId) void this.#fillGap(roomId, last, message.seq)
          else this.#store.drop(roomId) // read again when opened; the badge counts by seq and needs nothing more
        }
        last = Math.max(last, message.seq)
      }
      this.#ingest(roomId, batch.map((b) => b.message), 'live')
    }
  }

  async #fillGap (roomId: string, after: number, before: number): Promise<void> {
    let cursor = after
    try {
      while (cursor < before - 1 && this.#openId === roomId) {
        const page = await this.#api.get<MessagePage>(`/rooms/${roomId}/messages?after=${cursor}&limit=${GAP_PAGE_SIZE}`)
        if (this.#openId !== roomId) return
        this.#ingest(roomId, page.messages, 'gap')
        const last = page.messages[page.messages.length - 1]?.seq
        if (last === undefined || last <= cursor || !page.hasMore) return
        cursor = last
      }
    } catch (err) {
      this.#notices.error(`Some messages could not be loaded: ${describeError(err)}`)
    }
  }

  /** The one path every message takes into the page. */
  #ingest (roomId: string, messages: readonly ChatMessage[], kind: InsertKind): void {
    if (!this.#rooms.has(roomId)) return
    const added = this.#store.room(roomId).addAll(messages)
    if (added.length === 0) return
    const settled = new Set<string>()
    for (const m of added) if (this.#outbox.settle(m) !== undefined) settled.add(m.clientMsgId)
    this.#rooms.noteMessages(roomId, added)
    if (roomId !== this.#openId) return
    this.#view.insert(added, kind, settled)
    if (kind === 'live') {
      for (const m of added) this.#presence.stoppedTyping(m.senderId)
      const theirs = added.filter((m) => m.senderId !== this.#me.userId)
      const m = theirs[0]
      if (theirs.length > 3) this.#notices.announce(`${theirs.length} new messages`)
      else if (theirs.length === 1 && m !== undefined) this.#notices.announce(m.type === 'TALK' ? `${m.senderName}: ${m.content}` : m.content)
      else if (theirs.length > 0) this.#notices.announce(theirs.map((x) => `${x.senderName}: ${x.content}`).join('. '))
    }
    this.#markRead()
  }

  send (content: string): void {
    if (this.#openId === undefined) return
    this.#outbox.send(this.#openId, content)
    // The message ends the typing shown to others; typing again may say so a second later, not three.
    this.#lastTypingAt = Date.now() - TYPING_EVERY_MS + TYPING_AFTER_SEND_MS
  }

  retry (clientMsgId: string): void {
    this.#outbox.retry(clientMsgId)
  }

  typing (): void {
    const roomId = this.#openId
    const now = Date.now()
    if (roomId === undefined || now - this.#lastTypingAt < TYPING_EVERY_MS) return
    if (this.#conn.publish(dest.sendTyping(roomId), '')) this.#lastTypingAt = now
  }

  /** The open room is being looked at: everything in it is read. */
  #markRead (): void {
    const roomId = this.#openId
    if (roomId === undefined || document.visibilityState !== 'visible') return
    const room = this.#rooms.get(roomId)
    if (room === undefined || room.lastReadSeq >= room.lastSeq) return
    this.#rooms.markRead(roomId, room.lastSeq)
    this.#readToSend.set(roomId, room.lastSeq)
    this.#readTimer ??= setTimeout(() => this.#sendReads(), READ_EVERY_MS)
  }

  #sendReads (): void {
    this.#readTimer = undefined
    // Offline: kept for the next CONNECTED rather than sent to fail.
    if (!this.#conn.isConnected && !navigator.onLine) return
    for (const [roomId, seq] of this.#readToSend) {
      this.#readToSend.delete(roomId)
      if (this.#conn.publish(dest.sendRead(roomId), JSON.stringify({ seq }), { 'content-type': 'application/json' })) continue
      this.#api.post(`/rooms/${roomId}/read`, { seq }).catch(() => {
        // Not reachable either: the next read (or the one after the reconnect) moves the marker.
      })
    }
  }

  // --- presence ------------------------------------------------------------------------------------

  #watchPresence (roomId: string): void {
    this.#presence.reset()
    this.#conn.subscribe('presence', {
      destination: dest.presence(roomId),
      onMessage: (m) => {
        const e = parseBody<PresenceEvent>(m.body)
        if (e?.roomId === roomId) this.#presence.onPresence(e)
      },
      onSubscribed: () => { void this.#presenceSnapshot(roomId) },
    })
    this.#conn.subscribe('typing', {
      destination: dest.typing(roomId),
      onMessage: (m) => {
        const e = parseBody<TypingEvent>(m.body)
        if (e?.roomId === roomId && e.type === 'typing') this.#presence.onTyping(e)
      },
    })
    if (!this.#conn.isConnected) void this.#presenceSnapshot(roomId)
  }

  async #presenceSnapshot (roomId: string): Promise<void> {
    this.#presence.snapshotRequested()
    try {
      const p = await this.#api.get<{ online: OnlineMember[] }>(`/rooms/${roomId}/presence`)
      if (this.#openId === roomId) this.#presence.applySnapshot(p.online)
    } catch {
      // Presence is best effort; the events keep coming.
    }
  }

  // --- connection ----------------------------------------------------------------------------------

  #connected (): void {
    this.#connects++
    this.#outbox.resendUnconfirmed()
    if (this.#readToSend.size > 0) this.#sendReads()
    // Notifications are not replayed: rooms added or removed while away show up in the list.
    if (this.#connects > 1 || !this.#hasRooms) this.#refreshRooms().catch(() => {})
  }

  #receipt (frame: IFrame): void {
    const id = frame.headers['receipt-id']
    if (id?.startsWith('msg-') === true) this.#outbox.onReceipt(id, frame.headers['client-msg-id'])
  }

  /** A refreshed token goes to the live session in-band, so it is not closed at the old token's expiry. */
  #sendToken (token: string): void {
    this.#conn.publish(dest.sessionToken, token, { receipt: `tok-${++this.#tokenReceipts}` })
  }

  #queuedError (frame: IMessage): void {
    const e = parseBody<QueuedError>(frame.body) ?? { code: frame.headers.code ?? 'error', message: frame.body, receiptId: null }
    const receiptId = frame.headers['receipt-id'] ?? e.receiptId ?? undefined
    if (receiptId?.startsWith('tok-') === true) {
      // The in-band token was refused: connect again, which sends a fresh one in CONNECT.
      void this.#conn.reconnectNow()
      return
    }
    if (this.#outbox.onError(receiptId, e) !== undefined) return
    // An UNSUBSCRIBE racing the server's own removal after leaving a room: nothing to tell.
    if (e.code === 'unknown-subscription') return
    this.#notices.error(`${e.message} (${e.code})`)
  }

  #notification (frame: IMessage): void {
    const n = parseBody<Notification>(frame.body)
    if (n === undefined) return
    switch (n.type) {
      case 'unread':
        this.#rooms.markRead(n.roomId, n.lastReadSeq)
        return
      case 'invited':
        this.#notices.info(`${n.by.username} added you to ${n.name}.`)
        this.#refreshRooms().catch((err: unknown) => this.#notices.error(describeError(err)))
        return
      case 'removed': {
        const room = this.#rooms.get(n.roomId)
        if (room === undefined) return
        this.#forgetRoom(n.roomId, true)
        this.#notices.info(`You are no longer a member of ${room.name}.`)
      }
    }
  }
}
