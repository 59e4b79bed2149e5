/**
 * Header names STOMP 1.2 and this system use. The serializer knows they need no escaping; the parser returns these
 * very strings (already internalized by the engine) instead of slicing a new string per frame and header.
 */
export const KNOWN_HEADER_NAMES: readonly string[] = [
  'accept-version', 'ack', 'code', 'content-length', 'content-type', 'destination', 'heart-beat', 'host', 'id',
  'login', 'message', 'message-id', 'passcode', 'receipt', 'receipt-id', 'reconnect-after-ms', 'selector', 'seq',
  'server', 'session', 'since-seq', 'subscription', 'transaction', 'user-name', 'version', 'x-recovered',
]

const byLength: Array<string[] | undefined> = []
for (const name of KNOWN_HEADER_NAMES) (byLength[name.length] ??= []).push(name)

/** `text.slice(start, end)`, returned as the known constant when it is one. */
export function headerNameAt (text: string, start: number, end: number): string {
  const candidates = byLength[end - start]
  if (candidates !== undefined) {
    for (const name of candidates) if (text.startsWith(name, start)) return name
  }
  return text.slice(start, end)
}
