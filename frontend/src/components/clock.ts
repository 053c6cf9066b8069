/** A shared coarse clock for progress rings: one timer for the whole page. */
import { shallowRef } from 'vue'

export const now = shallowRef(Date.now())
let timer: ReturnType<typeof setInterval> | undefined
let users = 0

/** Start ticking while at least one consumer is mounted. */
export function useClock(): () => void {
  if (users++ === 0) timer = setInterval(() => { now.value = Date.now() }, 2000)
  let done = false
  return () => {
    if (done) return
    done = true
    if (--users === 0) clearInterval(timer)
  }
}

/** Fraction of the mean run time elapsed since the job started, or null. */
export function runProgress(startedTime: string | undefined, meanElapsed: number | undefined, at: number): number | null {
  if (!startedTime || !meanElapsed) return null
  const started = Date.parse(startedTime)
  if (Number.isNaN(started)) return null
  return Math.max(0, (at - started) / 1000 / meanElapsed)
}
