import type { ChaosCase } from '../chaos-case.js'
import { dispatcherKill } from './dispatcher-kill.js'
import { edgeKill } from './edge-kill.js'
import { tokenAttacks } from './token-attacks.js'
import { origin } from './origin.js'
import { frames } from './frames.js'
import { rest } from './rest.js'
import { rabbitmqRestart } from './rabbitmq-restart.js'
import { postgresOutage } from './postgres-outage.js'
import { redisOutage } from './redis-outage.js'
import { poison } from './poison.js'
import { sigtermDrain } from './sigterm-drain.js'
import { reconnectStorm } from './reconnect-storm.js'
import { slowConsumer } from './slow-consumer.js'
import { soak } from './soak.js'

/** Every case, in the order. */
export const CASES: readonly ChaosCase[] = [
  dispatcherKill,
  edgeKill,
  tokenAttacks,
  origin,
  frames,
  rest,
  rabbitmqRestart,
  postgresOutage,
  redisOutage,
  poison,
  sigtermDrain,
  reconnectStorm,
  slowConsumer,
  soak,
].sort((a, b) => a.number - b.number)
