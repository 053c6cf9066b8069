/**
 * Shared subscriptions feeding the one Store: one `App` subscription for the
 * sidebar and dashboard, one `Workflow` subscription per open workflow,
 * reference-counted across views.
 */
import { shallowRef } from 'vue'
import type { Backend, ExecutionResult } from '../transport/backend'
import { APP_SUBSCRIPTION, WORKFLOW_SUBSCRIPTION } from '../transport/documents'
import { FrameBatcher, type Scheduler } from './batch'
import { Store } from './store'
import type { DeltasFrame } from './types'

export interface Handle {
  release(): void
}

interface Shared {
  count: number
  stop: () => void
  /** Pending resubscription after an error, if any. */
  timer?: ReturnType<typeof setTimeout>
  retries: number
}

/** Resubscribe after an error or an unexpected end, with capped backoff. */
const RETRY_BASE_MS = 1000
const RETRY_MAX_MS = 30_000
/**
 * After a reconnect the App burst re-sends every workflow the server knows;
 * a workflow not heard of within this time was removed while we were away.
 */
export const STALE_AFTER_RECONNECT_MS = 15_000

export class DataService {
  readonly store = new Store()
  /** Bumped once per applied batch: the only reactive thing views watch. */
  readonly tick = shallowRef(0)
  /** The last subscription error, for the alert bar. */
  readonly lastError = shallowRef<string | null>(null)
  private readonly batcher: FrameBatcher
  private app: Shared | null = null
  private readonly workflows = new Map<string, Shared>()
  /** Workflows whose subscription has delivered its first frame since it (re)started. */
  readonly synced = shallowRef<ReadonlySet<string>>(new Set())

  constructor(private readonly backend: Backend, schedule?: Scheduler) {
    this.batcher = new FrameBatcher((frames) => {
      this.store.applyFrames(frames)
      this.tick.value = this.store.tick
    }, schedule)
    // graphql-ws resubscribes by itself after a reconnect; wipe each open
    // workflow just before its fresh burst so nothing stale survives.
    backend.onReconnect(() => {
      for (const id of this.workflows.keys()) this.batcher.push({ id, resetPending: true })
      this.synced.value = new Set()
      this.sweepStaleWorkflows()
    })
  }

  private unconfirmed: Set<string> | null = null
  private sweepTimer: ReturnType<typeof setTimeout> | undefined

  private onResult = (r: ExecutionResult): void => {
    if (r.errors?.length) this.lastError.value = r.errors.map((e) => e.message).join('; ')
    const frame: DeltasFrame | undefined = r.data?.deltas
    if (frame) {
      if (frame.id) this.unconfirmed?.delete(frame.id)
      this.batcher.push(frame)
    }
  }

  /** Drop sidebar workflows that the post-reconnect bursts did not mention. */
  private sweepStaleWorkflows(): void {
    if (!this.app) return
    this.batcher.flush()
    this.unconfirmed = new Set(this.store.workflows.keys())
    clearTimeout(this.sweepTimer)
    this.sweepTimer = setTimeout(() => {
      const stale = this.unconfirmed
      this.unconfirmed = null
      if (!stale?.size || !this.backend.connected.value) return
      this.batcher.flush()
      for (const id of stale) this.store.removeWorkflow(id)
      this.tick.value = ++this.store.tick
    }, STALE_AFTER_RECONNECT_MS)
  }

  private markSynced(id: string, on: boolean): void {
    if (this.synced.value.has(id) === on) return
    const next = new Set(this.synced.value)
    if (on) next.add(id)
    else next.delete(id)
    this.synced.value = next
  }

  /**
   * Start a shared subscription that restarts itself if the server ends it
   * (graphql-ws gives up on fatal close codes such as 4500, and a server
   * may complete a subscription): views only ever see it as live.
   */
  private startShared(query: string, variables: Record<string, unknown> | undefined, workflowId?: string): Shared {
    const shared: Shared = { count: 0, stop: () => {}, retries: 0 }
    const begin = (): void => {
      let ended = false
      const restart = (why: string): void => {
        if (ended) return
        ended = true
        if (shared.count === 0) return
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** shared.retries++)
        console.warn(`subscription ended (${why}); restarting in ${delay} ms`)
        shared.timer = setTimeout(() => {
          shared.timer = undefined
          if (shared.count === 0) return
          // A restarted subscription sends a new burst: start from scratch.
          if (workflowId) this.batcher.push({ id: workflowId, resetPending: true })
          begin()
        }, delay)
      }
      const stop = this.backend.subscribe(query, variables, {
        next: (r: ExecutionResult) => {
          this.onResult(r)
          if (r.data?.deltas) {
            shared.retries = 0
            if (workflowId) this.markSynced(workflowId, true)
          }
        },
        error: (e: unknown) => {
          const msg = Array.isArray(e) ? e.map((x: any) => x.message).join('; ') : (e as any)?.message ?? (e as any)?.reason ?? String(e)
          this.lastError.value = `Subscription failed: ${msg}`
          if (workflowId) this.markSynced(workflowId, false)
          restart(msg)
        },
        complete: () => restart('completed by the server'),
      })
      shared.stop = () => {
        ended = true
        clearTimeout(shared.timer)
        stop()
      }
    }
    begin()
    return shared
  }

  /** The sidebar's subscription: all workflows, summary fields. */
  acquireApp(): Handle {
    if (!this.app) this.app = this.startShared(APP_SUBSCRIPTION, undefined)
    this.app.count++
    return this.handle(() => {
      if (this.app && --this.app.count === 0) {
        this.app.stop()
        this.app = null
      }
    })
  }

  /** A workspace view's subscription for one workflow, shared by all its views. */
  acquireWorkflow(workflowId: string): Handle {
    let shared = this.workflows.get(workflowId)
    if (!shared) {
      // A (re)started subscription always begins from scratch.
      this.batcher.push({ id: workflowId, resetPending: true })
      shared = this.startShared(WORKFLOW_SUBSCRIPTION, { workflowId }, workflowId)
      this.workflows.set(workflowId, shared)
    }
    shared.count++
    return this.handle(() => {
      const s = this.workflows.get(workflowId)
      if (s && --s.count === 0) {
        s.stop()
        this.workflows.delete(workflowId)
        this.markSynced(workflowId, false)
        // Nobody views it now: drop its children, keep the sidebar's summary.
        this.batcher.flush()
        this.store.wipe(workflowId)
        this.tick.value = ++this.store.tick
      }
    })
  }

  /** How many views hold each workflow subscription (for tests and the status bar). */
  subscriptionCounts(): { app: number; workflows: Record<string, number> } {
    return { app: this.app?.count ?? 0, workflows: Object.fromEntries([...this.workflows].map(([k, v]) => [k, v.count])) }
  }

  private handle(release: () => void): Handle {
    let done = false
    return { release: () => { if (!done) { done = true; release() } } }
  }

  /** Apply everything queued now (tests, benchmarks). */
  flush(): void {
    this.batcher.flush()
  }
}
