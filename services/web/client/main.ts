// The web chat page: wires the sign-in form, the session and, once signed in, the chat.
import { ApiClient } from './api-client.js'
import { AuthSession } from './auth-session.js'
import { AuthView } from './auth-view.js'
import { ChatApp } from './chat-app.js'
import { byId, describeError } from './dom.js'
import { Notices } from './notices.js'
import { RoomListView } from './room-list-view.js'
import { RoomView } from './room-view.js'
import type { ConnectionStatus } from './stomp-connection.js'

const api = new ApiClient('/api')
const session = new AuthSession(api)
api.auth = session
const notices = new Notices(byId('notices'), byId('announcer'))
const chat = byId('chat')
const account = byId('account')
const conn = byId('conn')

/** The chat of whoever is signed in; the views outlive it and call into the current one. */
let app: ChatApp | undefined

const roomView = new RoomView({
  send: (content) => app?.send(content),
  typing: () => app?.typing(),
  retry: (id) => app?.retry(id),
  loadOlder: async () => await app?.loadOlder(),
  addMember: async (username) => await app?.addMember(username),
  leave: async () => await app?.leaveRoom(),
  error: (text) => notices.error(text),
})
const roomList = new RoomListView({
  open: (id) => app?.openRoom(id),
  create: async (name, visibility) => await app?.createRoom(name, visibility),
  browse: async () => await app?.browsePublic() ?? [],
  join: async (id) => await app?.joinRoom(id),
  error: (text) => notices.error(text),
})
const auth = new AuthView(async (action, username, password) => {
  if (action === 'register') await session.register(username, password)
  else await session.login(username, password)
  await enter()
})

session.onEnd((reason) => {
  void signedOut(reason === 'expired' ? 'Your session has ended. Please log in again.' : 'You are logged out.')
})

byId('logout').addEventListener('click', () => {
  void (async () => {
    await app?.stop()
    await session.logout().catch((err: unknown) => notices.error(`Logging out on the server failed: ${describeError(err)}`))
  })()
})

async function enter (): Promise<void> {
  const me = session.user
  if (me === undefined) {
    auth.show()
    return
  }
  await app?.stop()
  auth.hide()
  notices.clear()
  byId('me-name').textContent = me.username
  account.hidden = false
  chat.hidden = false
  conn.hidden = false
  app = new ChatApp({ api, session, me, notices, roomView, roomList, onStatus: showStatus })
  await app.start()
}

async function signedOut (message: string): Promise<void> {
  const current = app
  app = undefined
  await current?.stop()
  chat.hidden = true
  account.hidden = true
  conn.hidden = true
  showStatus({ state: 'idle' })
  auth.show(message)
}

function showStatus (s: ConnectionStatus): void {
  conn.dataset.state = s.state
  switch (s.state) {
    case 'idle': conn.textContent = 'Not connected'; break
    case 'connecting': conn.textContent = 'Connecting…'; break
    case 'connected': conn.textContent = 'Connected'; break
    case 'reconnecting': conn.textContent = 'Reconnecting…'; break
    case 'offline': conn.textContent = 'Offline: waiting for the network'; break
    case 'server-restart': {
      const seconds = Math.max(1, Math.ceil(((s.retryAt ?? Date.now()) - Date.now()) / 1000))
      conn.textContent = `Server restarting: reconnecting in ${seconds} s`
    }
  }
}

void enter().catch((err: unknown) => notices.error(describeError(err)))
