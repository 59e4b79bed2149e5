export class TokenStoreClosedError extends Error {
  readonly code = 'TOKENS_ERR_CLOSED'
  override name = 'TokenStoreClosedError'
  constructor () {
    super('token store is closed')
  }
}
