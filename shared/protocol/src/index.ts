export { StompErrorCode, CloseCode } from './codes.js'
