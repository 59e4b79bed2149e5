// The front door is the package's API: a change here is a change for every consumer.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as protocol from '../src/index.js'

await test('the front door exports exactly the public values', () => {
  assert.deepEqual(Object.keys(protocol).sort(), [
    'CloseCode', 'DEFAULT_FRAME_LIMITS', 'MAX_DESTINATION_LENGTH', 'MessageFrameTemplate', 'StompErrorCode',
    'StompParser', 'bodyText', 'formatDestination', 'negotiateHeartbeat', 'negotiateVersion', 'parseDestination',
    'serializeFrame', 'stompVersionOfSubprotocol',
  ])
})

await test('error codes are the stable strings the protocol documents', () => {
  // Codes are API: adding is fine, renaming never. These are the ones the codec itself emits.
  assert.equal(protocol.StompErrorCode.MALFORMED_FRAME, 'malformed-frame')
  assert.equal(protocol.StompErrorCode.UNKNOWN_COMMAND, 'unknown-command')
  assert.equal(protocol.StompErrorCode.FRAME_TOO_LARGE, 'frame-too-large')
  assert.equal(protocol.StompErrorCode.TOO_MANY_HEADERS, 'too-many-headers')
  assert.equal(protocol.StompErrorCode.HEADER_TOO_LONG, 'header-too-long')
  assert.equal(protocol.StompErrorCode.INVALID_ESCAPE, 'invalid-escape')
  assert.equal(protocol.StompErrorCode.INVALID_CONTENT_LENGTH, 'invalid-content-length')
  assert.equal(protocol.StompErrorCode.BUFFER_OVERFLOW, 'buffer-overflow')
  assert.equal(protocol.StompErrorCode.UNKNOWN_DESTINATION, 'unknown-destination')
})
