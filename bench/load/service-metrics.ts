/**
 * What our services say about themselves during a run: their Prometheus `/metrics`, read at the start and the end
 * of the measured window and subtracted, so the report can tell where the time went between the edge's publish
 * confirm (send->RECEIPT) and the delivery (the dispatcher's persist transaction and its publish to chat.deliver).
 */

/** `name{labels}` → value, for every sample line. */
export type Samples = Map<string, number>

export async function scrape (url: string): Promise<Samples> {
  const res = await fetch(url)
  const text = await res.text()
  const out: Samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    const v = Number(line.slice(i + 1))
    if (Number.isFinite(v)) out.set(line.slice(0, i), v)
  }
  return out
}

function delta (a: Samples, b: Samples, key: string): number {
  return (b.get(key) ?? 0) - (a.get(key) ?? 0)
}

export interface HistogramDelta {
  readonly count: number
  readonly mean: number
  /** Upper bounds of the buckets holding the 50th and 99th percentiles (Prometheus buckets: coarse). */
  readonly p50le: number
  readonly p99le: number
}

/** A Prometheus histogram (no labels) between two scrapes; times in the metric's unit. */
export function histogramDelta (a: Samples, b: Samples, name: string): HistogramDelta | undefined {
  const count = delta(a, b, `${name}_count`)
  if (count <= 0) return undefined
  const sum = delta(a, b, `${name}_sum`)
  const buckets: Array<[number, number]> = []
  for (const key of b.keys()) {
    const m = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(key)
    if (m === null) continue
    buckets.push([m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), delta(a, b, key)])
  }
  buckets.sort((x, y) => x[0] - y[0])
  const at = (q: number): number => buckets.find(([, c]) => c >= q * count)?.[0] ?? Number.POSITIVE_INFINITY
  return { count, mean: sum / count, p50le: at(0.5), p99le: at(0.99) }
}

export function counterDelta (a: Samples, b: Samples, name: string): number {
  let total = 0
  for (const key of b.keys()) if (key === name || key.startsWith(`${name}{`)) total += delta(a, b, key)
  return total
}

export interface PipelineFigures {
  /** Messages per persist transaction. */
  readonly batchSize?: HistogramDelta
  /** Persist transaction, ms. */
  readonly persistMs?: HistogramDelta
  /** Publish of a batch to chat.deliver until confirmed, ms. */
  readonly deliverMs?: HistogramDelta
  /** Edge: SEND to confirm, ms. */
  readonly sendReceiptMs?: HistogramDelta
  readonly edgeDuplicatesDropped: number
  readonly edgeGapFilled: number
  readonly slowConsumerCloses: number
}

const ms = (h: HistogramDelta | undefined): HistogramDelta | undefined =>
  h === undefined ? undefined : { count: h.count, mean: h.mean * 1000, p50le: h.p50le * 1000, p99le: h.p99le * 1000 }

export function pipelineFigures (edgeA: Samples, edgeB: Samples, dispA: Samples, dispB: Samples): PipelineFigures {
  const batchSize = histogramDelta(dispA, dispB, 'chat_dispatcher_batch_size')
  const persistMs = ms(histogramDelta(dispA, dispB, 'chat_dispatcher_persist_seconds'))
  const deliverMs = ms(histogramDelta(dispA, dispB, 'chat_dispatcher_deliver_seconds'))
  const sendReceiptMs = ms(histogramDelta(edgeA, edgeB, 'chat_edge_send_receipt_seconds'))
  return {
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(persistMs === undefined ? {} : { persistMs }),
    ...(deliverMs === undefined ? {} : { deliverMs }),
    ...(sendReceiptMs === undefined ? {} : { sendReceiptMs }),
    edgeDuplicatesDropped: counterDelta(edgeA, edgeB, 'chat_edge_duplicates_dropped_total'),
    edgeGapFilled: counterDelta(edgeA, edgeB, 'chat_edge_gap_filled_total'),
    slowConsumerCloses: counterDelta(edgeA, edgeB, 'chat_edge_slow_consumer_closes_total'),
  }
}
