import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import {
  AddMemberBody, ChatMessage, CreateRoomBody, ErrorBody, Limits, PageQuery, ReadBody, Room, RoomListItem, RoomListQuery,
  RoomParams, RoomPresence, SendMessageBody, SendReply, UnreadItem, UserParams, UserPresence, newId, type InboundMessage,
} from '@chat/schemas'
import { BusRejectedError } from '@chat/bus'
import {
  BadRequestError, BrokerRejectedError, BrokerUnavailableError, RoomForbiddenError, RoomNotFoundError, RoomPrivateError,
  UnavailableError, UserNotFoundError,
} from '../errors.js'
import type { HistoryDeps } from '../context.js'
import { MembershipAnnouncer } from '../membership-announcer.js'
import { TtlCache } from '../ttl-cache.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody }
const security = [{ bearer: [] }]
const NoContent = { type: 'null' } as const

/** Rooms, members, scroll-back, sending, read markers, unread counts and presence (SPEC section 3). */
export const roomRoutes: FastifyPluginAsyncTypebox<HistoryDeps> = async function roomRoutes (app, deps) {
  const { store, bus, presence } = deps
  const announcer = new MembershipAnnouncer({ bus, log: app.log })
  app.addHook('onRequest', app.authenticate)

  // Memberships confirmed by the database, reused by reads (scroll-back, presence) for `accessCacheMs`: a member's
  // every page would otherwise cost a query. Only "is a member" is kept, and a leave through this instance drops it
  // before its answer, so what can go stale is a leave made through another history instance: the member who left
  // can still read for at most `accessCacheMs`. Writes (send, add member) always ask the database.
  const memberships = new TtlCache<true>({ ttlMs: deps.config.accessCacheMs })
  const membershipKey = (roomId: string, userId: string): string => `${roomId.toLowerCase()} ${userId.toLowerCase()}`

  /** 404 for a room that does not exist, 403 for one the caller is not in. `forRead`: a recent answer will do. */
  async function requireMember (roomId: string, userId: string, forRead = false): Promise<void> {
    const key = membershipKey(roomId, userId)
    if (forRead && memberships.get(key) === true) return
    if (await store.rooms.isMember(roomId, userId)) {
      memberships.set(key, true)
      return
    }
    memberships.delete(key)
    if (await store.rooms.getRoom(roomId) === undefined) throw new RoomNotFoundError()
    throw new RoomForbiddenError()
  }

  /** Removes a membership in the database and from this instance's cache. */
  async function removeMember (roomId: string, userId: string): Promise<boolean> {
    memberships.delete(membershipKey(roomId, userId))
    const removed = await store.rooms.removeMember(roomId, userId)
    // Again after: a read that checked the database before the removal may have cached it meanwhile.
    memberships.delete(membershipKey(roomId, userId))
    return removed
  }

  async function publish (message: InboundMessage): Promise<void> {
    try {
      await bus.publishInbound(message)
    } catch (err) {
      if (err instanceof BusRejectedError) throw new BrokerRejectedError({ cause: err })
      throw new BrokerUnavailableError({ cause: err })
    }
  }

  app.post('/rooms', {
    schema: { tags: ['rooms'], summary: 'Create a room (the creator is its first member)', security, body: CreateRoomBody, response: { 201: Room, ...errors } },
  }, async (req, reply) => {
    const room = await store.rooms.createRoom({ creatorId: req.auth.sub, name: req.body.name, visibility: req.body.visibility ?? 'public' })
    reply.code(201)
    return { id: room.id, name: room.name, visibility: room.visibility, createdAt: room.createdAt }
  })

  app.get('/rooms', {
    schema: { tags: ['rooms'], summary: "The caller's rooms with unread counts, or the public rooms", security, querystring: RoomListQuery, response: { 200: Type.Array(RoomListItem), ...errors } },
  }, async (req) => {
    return [...(req.query.scope === 'public' ? await store.rooms.listPublic(req.auth.sub) : await store.rooms.listMine(req.auth.sub))]
  })

  app.post('/rooms/:roomId/members', {
    schema: { tags: ['rooms'], summary: 'Add someone to a room (members only)', security, params: RoomParams, body: AddMemberBody, response: { 204: NoContent, ...errors } },
  }, async (req, reply) => {
    const { roomId } = req.params
    await requireMember(roomId, req.auth.sub)
    const target = 'userId' in req.body ? await store.users.getUser(req.body.userId) : await store.users.getUserByName(req.body.username)
    if (target === undefined) throw new UserNotFoundError()
    const result = await store.rooms.addMember(roomId, target.id)
    if (result === 'room-not-found') throw new RoomNotFoundError()
    if (result === 'added') {
      const room = await store.rooms.getRoom(roomId)
      await announcer.joined(roomId, target, () => removeMember(roomId, target.id))
      announcer.invited(target.id, { roomId, name: room?.name ?? '', by: { userId: req.auth.sub, username: req.auth.name } })
    }
    reply.code(204)
  })

  app.post('/rooms/:roomId/join', {
    schema: { tags: ['rooms'], summary: 'Join a public room', security, params: RoomParams, response: { 204: NoContent, ...errors } },
  }, async (req, reply) => {
    const { roomId } = req.params
    const room = await store.rooms.getRoom(roomId)
    if (room === undefined) throw new RoomNotFoundError()
    if (room.visibility !== 'public' && !await store.rooms.isMember(roomId, req.auth.sub)) throw new RoomPrivateError()
    const result = await store.rooms.addMember(roomId, req.auth.sub)
    if (result === 'room-not-found') throw new RoomNotFoundError()
    if (result === 'added') {
      await announcer.joined(roomId, { id: req.auth.sub, username: req.auth.name }, () => removeMember(roomId, req.auth.sub))
    }
    reply.code(204)
  })

  app.post('/rooms/:roomId/leave', {
    schema: { tags: ['rooms'], summary: 'Leave a room', security, params: RoomParams, response: { 204: NoContent, ...errors } },
  }, async (req, reply) => {
    const { roomId } = req.params
    if (await store.rooms.getRoom(roomId) === undefined) throw new RoomNotFoundError()
    if (await removeMember(roomId, req.auth.sub)) {
      await announcer.left(roomId, { id: req.auth.sub, username: req.auth.name })
    }
    reply.code(204)
  })

  app.get('/rooms/:roomId/messages', {
    schema: {
      tags: ['messages'],
      summary: 'Scroll-back by seq: before, after, or the latest; ascending',
      security,
      params: RoomParams,
      querystring: PageQuery,
      response: { 200: Type.Object({ messages: Type.Array(ChatMessage), hasMore: Type.Boolean() }), ...errors },
    },
  }, async (req) => {
    const { roomId } = req.params
    const { before, after } = req.query
    if (before !== undefined && after !== undefined) throw new BadRequestError('give before or after, not both')
    await requireMember(roomId, req.auth.sub, true)
    const page = await store.messages.page(roomId, {
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
      limit: req.query.limit ?? Limits.defaultPageSize,
    })
    return { messages: [...page.messages], hasMore: page.hasMore }
  })

  app.post('/rooms/:roomId/messages', {
    schema: {
      tags: ['messages'],
      summary: 'Send a message: 202 once the broker confirmed it (the same path as a STOMP SEND)',
      security,
      params: RoomParams,
      body: SendMessageBody,
      response: { 202: SendReply, ...errors },
    },
  }, async (req, reply) => {
    const { roomId } = req.params
    await requireMember(roomId, req.auth.sub)
    const message: InboundMessage = {
      v: 1,
      id: newId(),
      roomId,
      senderId: req.auth.sub,
      senderName: req.auth.name,
      type: 'TALK',
      content: req.body.content,
      clientMsgId: req.body.clientMsgId ?? newId(),
      sentAt: new Date().toISOString(),
    }
    await publish(message)
    reply.code(202)
    return { id: message.id, clientMsgId: message.clientMsgId }
  })

  app.post('/rooms/:roomId/read', {
    schema: { tags: ['messages'], summary: "Move the caller's read marker (never back)", security, params: RoomParams, body: ReadBody, response: { 204: NoContent, ...errors } },
  }, async (req, reply) => {
    const { roomId } = req.params
    const result = await store.rooms.markRead(roomId, req.auth.sub, req.body.seq)
    if (result === undefined) {
      if (await store.rooms.getRoom(roomId) === undefined) throw new RoomNotFoundError()
      throw new RoomForbiddenError()
    }
    announcer.unread(req.auth.sub, { roomId, unread: result.unread, lastReadSeq: result.lastReadSeq })
    reply.code(204)
  })

  app.get('/me/unread', {
    schema: { tags: ['messages'], summary: 'Unread counts of all my rooms', security, response: { 200: Type.Array(UnreadItem), ...errors } },
  }, async (req) => [...await store.rooms.unread(req.auth.sub)])

  app.get('/rooms/:roomId/presence', {
    schema: { tags: ['presence'], summary: 'Who is online in a room (members only)', security, params: RoomParams, response: { 200: RoomPresence, ...errors } },
  }, async (req) => {
    await requireMember(req.params.roomId, req.auth.sub, true)
    try {
      return { online: [...await presence.roomOnline(req.params.roomId)] }
    } catch (err) {
      throw new UnavailableError({ cause: err })
    }
  })

  app.get('/users/:userId/presence', {
    schema: { tags: ['presence'], summary: 'Whether a user is online, and when last seen', security, params: UserParams, response: { 200: UserPresence, ...errors } },
  }, async (req) => {
    const { userId } = req.params
    const user = await store.users.getUser(userId)
    if (user === undefined) throw new UserNotFoundError()
    let status
    try {
      status = await presence.userStatus(userId)
    } catch (err) {
      throw new UnavailableError({ cause: err })
    }
    let lastSeen = status.lastSeenAt === null ? undefined : new Date(status.lastSeenAt)
    if (lastSeen === undefined) lastSeen = await store.users.getLastSeen(userId)
    return { online: status.online, lastSeenAt: lastSeen === undefined ? null : lastSeen.toISOString() }
  })
}
