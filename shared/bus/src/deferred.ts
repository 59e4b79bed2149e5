/** A promise with its settle functions, that knows whether it settled. Never an unhandled rejection. */
export interface Deferred {
  readonly promise: Promise<void>
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
  settled: boolean
}

export function deferred (): Deferred {
  let resolvePromise!: () => void
  let rejectPromise!: (err: unknown) => void
  const promise = new Promise<void>((resolve, reject) => { resolvePromise = resolve; rejectPromise = reject })
  promise.catch(() => {})
  const d: Deferred = {
    promise,
    resolve: () => { d.settled = true; resolvePromise() },
    reject: (err) => { d.settled = true; rejectPromise(err) },
    settled: false,
  }
  return d
}
