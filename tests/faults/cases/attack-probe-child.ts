// The latency probe in its own process (forked by frames.ts with the argument `--attack-probe-child`): an ordinary
// client pair whose send→receive times must not include the CPU the attacks cost the process generating them.
// Times are absolute (performance.timeOrigin + performance.now(), ms) so the parent can cut them into its phases.
import type { TestUser } from '@chat/testing'
import { LatencyProbe } from './attack-stomp.js'

export interface ProbeRequest {
  readonly wsUrl: string
  readonly sender: TestUser
  readonly receiver: TestUser
  readonly roomId: string
  readonly ratePerSecond: number
}

export interface ProbeReport {
  readonly type: 'report'
  /** [arrived at (absolute ms), latency ms] */
  readonly samples: Array<[number, number]>
  readonly sent: number
  readonly outstanding: number
  readonly errors: string[]
  /** Both sockets were still open when the probe was stopped. */
  readonly wasOpen: boolean
}

export type ProbeMessage = { readonly type: 'ready' } | ProbeReport | { readonly type: 'error', readonly message: string }

async function main (req: ProbeRequest): Promise<void> {
  const probe = await LatencyProbe.start(req.wsUrl, req.sender, req.receiver, req.roomId, req.ratePerSecond)
  process.send?.({ type: 'ready' } satisfies ProbeMessage)
  process.once('message', () => {
    probe.stop()
    const wasOpen = probe.isOpen
    const deadline = Date.now() + 5_000
    const finish = (): void => {
      if (probe.outstanding > 0 && Date.now() < deadline) {
        setTimeout(finish, 50)
        return
      }
      const report: ProbeReport = {
        type: 'report',
        samples: probe.samples.map(([at, latency]) => [performance.timeOrigin + at, latency]),
        sent: probe.sent,
        outstanding: probe.outstanding,
        errors: probe.errors,
        wasOpen,
      }
      probe.close()
      process.send?.(report, () => process.exit(0))
    }
    finish()
  })
}

if (process.argv.includes('--attack-probe-child') && process.send !== undefined) {
  process.on('disconnect', () => process.exit(0))
  process.once('message', (req: ProbeRequest) => {
    main(req).catch((err: unknown) => {
      process.send?.({ type: 'error', message: (err as Error).message } satisfies ProbeMessage, () => process.exit(1))
    })
  })
}
