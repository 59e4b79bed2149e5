import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** The edge's Prometheus metrics (prefix `chat_edge_`). */
export interface EdgeMetrics {
  readonly sessions: Gauge
  readonly sockets: Gauge
  readonly framesIn: Counter<'command'>
  readonly framesOut: Counter<'command'>
  readonly errors: Counter<'code'>
  readonly sendLatency: Histogram
  readonly slowConsumerCloses: Counter
  readonly deliveries: Counter<'kind'>
  readonly duplicatesDropped: Counter
  readonly gapFilled: Counter
  readonly upgradesRefused: Counter<'reason'>
  readonly roomFeeds: Gauge
}

export function createEdgeMetrics (registry: Registry): EdgeMetrics {
  const registers = [registry]
  return {
    sessions: new Gauge({ name: 'chat_edge_sessions', help: 'Connected STOMP sessions', registers }),
    sockets: new Gauge({ name: 'chat_edge_sockets', help: 'Open WebSocket connections, connected or not', registers }),
    framesIn: new Counter({ name: 'chat_edge_frames_in_total', help: 'Frames received, by command', labelNames: ['command'], registers }),
    framesOut: new Counter({ name: 'chat_edge_frames_out_total', help: 'Frames sent (not counting fan-out MESSAGEs), by command', labelNames: ['command'], registers }),
    errors: new Counter({ name: 'chat_edge_errors_total', help: 'ERROR frames and /user/queue/errors messages, by code', labelNames: ['code'], registers }),
    sendLatency: new Histogram({
      name: 'chat_edge_send_receipt_seconds',
      help: 'SEND to broker confirm (the RECEIPT), seconds',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    }),
    slowConsumerCloses: new Counter({ name: 'chat_edge_slow_consumer_closes_total', help: 'Sessions closed as slow consumers', registers }),
    deliveries: new Counter({ name: 'chat_edge_bus_deliveries_total', help: 'Deliveries from the bus, by kind', labelNames: ['kind'], registers }),
    duplicatesDropped: new Counter({ name: 'chat_edge_duplicates_dropped_total', help: 'Room deliveries dropped because their seq was already delivered', registers }),
    gapFilled: new Counter({ name: 'chat_edge_gap_filled_total', help: 'Messages read from the database to fill a gap or resync', registers }),
    upgradesRefused: new Counter({ name: 'chat_edge_upgrades_refused_total', help: 'WebSocket upgrades refused, by reason', labelNames: ['reason'], registers }),
    roomFeeds: new Gauge({ name: 'chat_edge_room_feeds', help: 'Rooms this edge is bound to', registers }),
  }
}
