import { CloseCode, type StompErrorCode } from '@chat/protocol'

/** A frame failed but the connection stays open: answered on /user/queue/errors with the code. */
export class FrameRejection extends Error {
  readonly code: StompErrorCode
  constructor (code: StompErrorCode, detail: string, options?: ErrorOptions) {
    super(detail, options)
    this.name = 'FrameRejection'
    this.code = code
  }
}

/** A frame broke the protocol or the session's rules: ERROR with the code, then close. */
export class SessionFailure extends Error {
  readonly code: StompErrorCode
  readonly closeCode: number
  constructor (code: StompErrorCode, detail: string, closeCode: number = CloseCode.PROTOCOL_ERROR) {
    super(detail)
    this.name = 'SessionFailure'
    this.code = code
    this.closeCode = closeCode
  }
}
