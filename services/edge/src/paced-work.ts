/**
 * Work that arrives in bursts (upgrades of a connection storm, sockets reaching their login timeout together),
 * run in the check phase of the event loop for at most `budgetMs` per turn, at least one task a turn. Done where
 * it arrives, a burst holds the loop for as long as it lasts, and every open session's frames wait behind it;
 * paced, the sockets already open are read between batches. A time budget rather than a count adapts to what
 * the work costs on the machine.
 */
export class PacedWork {
  readonly #budgetMs: number
  #tasks: Array<() => void> = []
  #next = 0
  #isScheduled = false

  constructor (budgetMs: number) {
    if (!(budgetMs >= 0)) throw new RangeError(`budgetMs must be >= 0, got ${budgetMs}`)
    this.#budgetMs = budgetMs
  }

  push (task: () => void): void {
    this.#tasks.push(task)
    if (!this.#isScheduled) {
      this.#isScheduled = true
      setImmediate(this.#runBatch)
    }
  }

  readonly #runBatch = (): void => {
    this.#isScheduled = false
    const deadline = performance.now() + this.#budgetMs
    try {
      do {
        const task = this.#tasks[this.#next] as () => void
        this.#tasks[this.#next++] = noop // let go of what the task holds
        task()
      } while (this.#next < this.#tasks.length && performance.now() < deadline)
    } finally {
      // Also after a task threw: the ones behind it still get their turn.
      this.#afterBatch()
    }
  }

  #afterBatch (): void {
    if (this.#next === this.#tasks.length) {
      this.#tasks = []
      this.#next = 0
      return
    }
    if (this.#next >= 1024) {
      this.#tasks = this.#tasks.slice(this.#next)
      this.#next = 0
    }
    this.#isScheduled = true
    setImmediate(this.#runBatch)
  }
}

function noop (): void {}
