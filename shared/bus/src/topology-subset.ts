import type { Topology } from '@chat/topology'

/**
 * The part of a topology one channel role needs: the named exchanges and queues, and the bindings
 * between them. Each role re-declares only that on (re)connect, so a consumer of one shard does not
 * declare the other fifteen.
 */
export function pickTopology (topology: Topology, pick: { readonly exchanges: readonly string[], readonly queues: readonly string[] }): Topology {
  const exchanges = new Set(pick.exchanges)
  const queues = new Set(pick.queues)
  return {
    exchanges: topology.exchanges.filter((e) => exchanges.has(e.name)),
    queues: topology.queues.filter((q) => queues.has(q.name)),
    bindings: topology.bindings.filter((b) => queues.has(b.queue) && exchanges.has(b.exchange)),
  }
}
