import type { Command } from './frame.js'

const COMMANDS: readonly Command[] = [
  'CONNECT', 'STOMP', 'CONNECTED', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK',
  'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT', 'MESSAGE', 'RECEIPT', 'ERROR',
]

// Candidates by first byte, so a command line is matched on its bytes without decoding it.
const byFirstByte: Array<Array<{ command: Command, bytes: Uint8Array }> | undefined> = []
for (const command of COMMANDS) {
  const bytes = new TextEncoder().encode(command)
  const first = bytes[0] as number
  ;(byFirstByte[first] ??= []).push({ command, bytes })
}

/** The command spelled by `buf[start..end)`, or undefined. Commands are case-sensitive. */
export function matchCommand (buf: Uint8Array, start: number, end: number): Command | undefined {
  const candidates = byFirstByte[buf[start] as number]
  if (candidates === undefined) return undefined
  const length = end - start
  for (const { command, bytes } of candidates) {
    if (bytes.length === length && sameBytes(buf, start, bytes)) return command
  }
  return undefined
}

function sameBytes (buf: Uint8Array, start: number, bytes: Uint8Array): boolean {
  for (let i = 1; i < bytes.length; i++) if (buf[start + i] !== bytes[i]) return false
  return true
}
