export class PresenceClosedError extends Error {
  readonly code = 'PRESENCE_ERR_CLOSED'
  override name = 'PresenceClosedError'
  constructor () {
    super('presence store is closed')
  }
}
