/**
 * Collects frames and applies them once per animation frame, so a burst of
 * deltas costs one merge pass and one render.
 */
import type { DeltasFrame } from './types'

export type Scheduler = (run: () => void) => void

/** requestAnimationFrame, or a timer when the tab is hidden (rAF stops there). */
export const animationFrameScheduler: Scheduler = (run) => {
  if (typeof document !== 'undefined' && document.hidden) setTimeout(run, 250)
  else requestAnimationFrame(() => run())
}

export class FrameBatcher {
  private queue: DeltasFrame[] = []
  private scheduled = false

  constructor(
    private readonly apply: (frames: DeltasFrame[]) => void,
    private readonly schedule: Scheduler = animationFrameScheduler,
  ) {}

  /** Queue a frame; the batch is applied on the next flush. */
  push(frame: DeltasFrame): void {
    this.queue.push(frame)
    if (!this.scheduled) {
      this.scheduled = true
      this.schedule(() => this.flush())
    }
  }

  /** Apply everything queued now (also used by tests and on teardown). */
  flush(): void {
    this.scheduled = false
    if (!this.queue.length) return
    const frames = this.queue
    this.queue = []
    this.apply(frames)
  }

  get pending(): number {
    return this.queue.length
  }
}
