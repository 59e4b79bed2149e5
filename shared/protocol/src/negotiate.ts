import type { StompVersion } from './frame.js'

/** Versions this codec speaks, highest first. */
const SUPPORTED: readonly StompVersion[] = ['1.2', '1.1', '1.0']

/**
 * The version to answer a CONNECT with: the highest one both sides speak. An absent `accept-version` means the
 * client speaks 1.0 only (STOMP 1.2 "Protocol Negotiation"). Undefined when there is none in common: the server
 * then sends ERROR with a `version` header listing its versions and closes.
 */
export function negotiateVersion (acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0'
  const offered = new Set(acceptVersion.split(',').map((v) => v.trim()))
  return SUPPORTED.find((v) => offered.has(v))
}

export type HeartbeatResult =
  | { readonly ok: true, readonly sendEveryMs: number, readonly expectEveryMs: number }
  | { readonly ok: false }

const HEART_BEAT = /^(\d{1,15}),(\d{1,15})$/

/**
 * Heart-beating per STOMP 1.2 "Heart-beating": the client's `heart-beat:cx,cy` says it can send every cx ms and
 * wants to receive every cy ms. The server sends every max(server.sendMs, cy) ms if both are non-zero
 * (`sendEveryMs`, 0 = off) and expects the client every max(cx, server.receiveMs) ms if both are non-zero
 * (`expectEveryMs`, 0 = off). An absent header means `0,0`; a malformed one is `ok: false`.
 */
export function negotiateHeartbeat (clientHeader: string | undefined,
  server: { readonly sendMs: number, readonly receiveMs: number }): HeartbeatResult {
  const match = HEART_BEAT.exec(clientHeader ?? '0,0')
  if (match === null) return { ok: false }
  const cx = Number(match[1])
  const cy = Number(match[2])
  return {
    ok: true,
    sendEveryMs: server.sendMs > 0 && cy > 0 ? Math.max(server.sendMs, cy) : 0,
    expectEveryMs: cx > 0 && server.receiveMs > 0 ? Math.max(cx, server.receiveMs) : 0,
  }
}

const SUBPROTOCOLS: ReadonlyMap<string, StompVersion> = new Map<string, StompVersion>([
  ['v10.stomp', '1.0'],
  ['v11.stomp', '1.1'],
  ['v12.stomp', '1.2'],
])

/** The STOMP version a WebSocket subprotocol names (`v12.stomp` → `1.2`), or undefined. */
export function stompVersionOfSubprotocol (protocol: string | undefined): StompVersion | undefined {
  return protocol === undefined ? undefined : SUBPROTOCOLS.get(protocol)
}
