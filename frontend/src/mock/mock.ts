/**
 * An offline backend for screenshots, demos and benchmarks: fake workflows,
 * a live stream of deltas and a schema for introspection and GraphiQL.
 * Loaded only in mock mode (`?mock=1`, `?mock=20000`), as its own chunk.
 */
import { buildSchema, graphql, type GraphQLSchema } from 'graphql'
import sdl from './schema.graphql?raw'
import { describeMutation } from './descriptions'
import { ConnectionState, type Backend, type ExecutionResult, type Sink } from '../transport/backend'

export interface MockOptions {
  /** Task proxies in the big workflow (`bench/big`); 0 for the normal demo. */
  tasks?: number
  /** Milliseconds between update frames per open workflow. */
  intervalMs?: number
  /** Task updates per frame. */
  updatesPerFrame?: number
}

const OWNER = 'alice'
const WORKFLOWS: Array<[string, string, string]> = [
  ['demo/forecast/run1', 'running', 'running'],
  ['demo/forecast/run2', 'paused', 'paused'],
  ['ops/nwp-global/run7', 'running', 'running to 20260103T0000Z'],
  ['ops/nwp-regional', 'stopping', 'stopping: waiting for active jobs'],
  ['ops/post-processing', 'stopped', 'stopped'],
  ['research/ensemble-2026', 'running', 'running'],
  ['research/ocean/coupled', 'stopped', 'not yet run'],
  ['test/quick', 'stopped', 'stopped'],
  ['archive/reanalysis-1990s', 'stopped', 'stopped'],
  ['sandbox', 'running', 'running'],
]
const STATES = ['waiting', 'preparing', 'submitted', 'running', 'succeeded', 'failed', 'submit-failed', 'expired']
const FLOW = ['waiting', 'preparing', 'submitted', 'running', 'succeeded']

/** A deterministic pseudo-random generator so screenshots are repeatable. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface MockTask { id: string; name: string; cycle: string; parent: string; state: string; jobs: number; flags: Record<string, boolean> }

function isoCycle(i: number): string {
  const d = new Date(Date.UTC(2026, 0, 1) + i * 6 * 3600_000)
  return d.toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z'
}

class MockWorkflow {
  readonly id: string
  tasks = new Map<string, MockTask>()
  families = new Map<string, { id: string; name: string; cycle: string; parent: string }>()
  nEdge = 1
  private rand: () => number

  constructor(readonly name: string, public status: string, public statusMsg: string, size: number, seed: number) {
    this.id = `~${OWNER}/${name}`
    this.rand = rng(seed)
    this.build(size)
  }

  private build(size: number): void {
    const r = this.rand
    const big = size > 500
    const cycles = big ? 10 : 4
    const perCycle = big ? Math.ceil(size / cycles) : 0
    for (let c = 0; c < cycles; c++) {
      const cycle = isoCycle(c)
      const fam = (name: string, parent = 'root') =>
        this.families.set(`${this.id}//${cycle}/${name}`, { id: `${this.id}//${cycle}/${name}`, name, cycle, parent })
      fam('root', '')
      const add = (name: string, parent: string, state: string) => {
        const flags: Record<string, boolean> = {}
        if (r() < 0.04) flags.isHeld = true
        if (state === 'waiting' && r() < 0.1) flags.isQueued = true
        if (state === 'waiting' && c === cycles - 1 && r() < 0.3) flags.isRunahead = true
        if (state === 'waiting' && r() < 0.05) flags.isRetry = true
        if (state === 'waiting' && r() < 0.05) flags.isWallclock = true
        if (r() < 0.03) flags.isXtriggered = true
        const jobs = state === 'waiting' || state === 'expired' ? 0 : state === 'failed' && r() < 0.5 ? 2 : 1
        this.tasks.set(`${this.id}//${cycle}/${name}`, { id: `${this.id}//${cycle}/${name}`, name, cycle, parent, state, jobs, flags })
      }
      // Older cycles are done, the newest are still waiting.
      const pick = () => {
        if (this.status === 'stopped') return r() < 0.04 ? 'failed' : 'succeeded'
        if (c < cycles - 3) return r() < 0.06 ? 'failed' : 'succeeded'
        if (c === cycles - 1) return 'waiting'
        return STATES[Math.floor(r() * STATES.length)]
      }
      if (big) {
        const groups = Math.max(1, Math.floor(perCycle / 100))
        for (let g = 0; g < groups; g++) {
          fam(`ENS_${g}`)
          for (let m = 0; m < Math.min(100, perCycle - g * 100); m++) add(`member_${g}_${m}`, `ENS_${g}`, pick())
        }
      } else {
        add('get_observations', 'root', pick())
        add('housekeep', 'root', pick())
        fam('PREPROC')
        for (const n of ['quality_control', 'assimilate', 'regrid']) add(n, 'PREPROC', pick())
        fam('MODEL')
        fam('ENSEMBLE', 'MODEL')
        for (let m = 1; m <= 8; m++) add(`member_${String(m).padStart(2, '0')}`, 'ENSEMBLE', pick())
        add('deterministic', 'MODEL', pick())
        fam('POSTPROC')
        for (const n of ['products', 'verification', 'archive']) add(n, 'POSTPROC', pick())
      }
    }
  }

  private famState(famId: string): string {
    let worst = -1
    for (const t of this.tasks.values()) {
      if (t.parent && `${this.id}//${t.cycle}/${t.parent}` === famId || (famId.endsWith('/root') && `${this.id}//${t.cycle}/root` === famId)) {
        worst = Math.max(worst, ['succeeded', 'expired', 'waiting', 'preparing', 'submitted', 'running', 'submit-failed', 'failed'].indexOf(t.state))
      }
    }
    return ['succeeded', 'expired', 'waiting', 'preparing', 'submitted', 'running', 'submit-failed', 'failed'][Math.max(0, worst)]
  }

  stateTotals(): Record<string, number> {
    const totals: Record<string, number> = {}
    for (const s of STATES) totals[s] = 0
    for (const t of this.tasks.values()) totals[t.state]++
    return totals
  }

  latest(): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    for (const t of this.tasks.values()) {
      if (['failed', 'preparing', 'submit-failed', 'submitted', 'running'].includes(t.state)) {
        const list = (out[t.state] ??= [])
        if (list.length < 5) list.push(`${t.cycle}/${t.name}`)
      }
    }
    return out
  }

  summary(): Record<string, unknown> {
    const logRecords = this.status === 'running' && this.name.includes('nwp')
      ? [{ level: 'WARNING', message: `[${isoCycle(2)}/assimilate/01:running] (polled)failed at 2026-01-01T12:03:11Z` }] : []
    return {
      id: this.id, status: this.status, statusMsg: this.statusMsg, stateTotals: this.stateTotals(), latestStateTasks: this.latest(),
      logRecords, cylcVersion: '8.5.4', owner: OWNER, host: this.status === 'stopped' ? '' : 'cylc-vm-01', port: this.status === 'stopped' ? 0 : 43001,
    }
  }

  taskData(t: MockTask): Record<string, unknown> {
    return {
      id: t.id, name: t.name, cyclePoint: t.cycle, state: t.state,
      isHeld: !!t.flags.isHeld, isQueued: !!t.flags.isQueued, isRunahead: !!t.flags.isRunahead,
      isRetry: !!t.flags.isRetry, isWallclock: !!t.flags.isWallclock, isXtriggered: !!t.flags.isXtriggered,
      graphDepth: t.state === 'waiting' && t.flags.isRunahead ? 1 : 0,
      task: { meanElapsedTime: 240 + (t.name.length * 37) % 600 }, firstParent: { id: `${this.id}//${t.cycle}/${t.parent}` },
      runtime: { runMode: 'Live' }, flowNums: '[1]',
    }
  }

  jobData(t: MockTask, n: number, now: number): Record<string, unknown> {
    const last = n === t.jobs
    const state = !last ? 'failed' : t.state === 'preparing' ? 'submitted' : t.state
    const base = now - 3600_000 + (t.name.length * 7919) % 1800_000
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
    const started = ['running', 'succeeded', 'failed'].includes(state)
    return {
      id: `${t.id}/${String(n).padStart(2, '0')}`, submitNum: n, state,
      jobRunnerName: t.name.startsWith('member') ? 'pbs' : 'background', jobId: String(100000 + (t.name.length * 131 + n) % 90000),
      platform: t.name.startsWith('member') ? 'hpc-cluster' : 'localhost',
      submittedTime: iso(base),
      startedTime: started ? iso(state === 'running' ? now - 120_000 : base + 30_000) : undefined,
      finishedTime: ['succeeded', 'failed'].includes(state) ? iso(base + 300_000) : undefined,
      messages: state === 'failed' ? ['started', 'failed/ERR'] : started ? ['started'] : [],
    }
  }

  burst(): Record<string, unknown> {
    const now = Date.now()
    const jobs: unknown[] = []
    for (const t of this.tasks.values()) for (let n = 1; n <= t.jobs; n++) jobs.push(this.jobData(t, n, now))
    return {
      id: this.id,
      added: {
        workflow: { id: this.id, status: this.status, statusMsg: this.statusMsg, nEdgeDistance: this.nEdge, cylcVersion: '8.5.4', reloaded: true },
        familyProxies: [...this.families.values()].map((f) => ({
          id: f.id, name: f.name, cyclePoint: f.cycle, state: this.famState(f.id), isHeld: false, isQueued: false, isRunahead: false,
          ...(f.parent ? { firstParent: { id: `${this.id}//${f.cycle}/${f.parent}` } } : {}),
        })),
        taskProxies: [...this.tasks.values()].map((t) => this.taskData(t)),
        jobs,
      },
    }
  }

  /** Move some tasks along their lifecycle; returns an updated frame. */
  step(count: number): Record<string, unknown> {
    const now = Date.now()
    const all = [...this.tasks.values()]
    const updated: Record<string, unknown>[] = []
    const jobs: Record<string, unknown>[] = []
    const added: Record<string, unknown>[] = []
    for (let i = 0; i < count && all.length; i++) {
      const t = all[Math.floor(this.rand() * all.length)]
      const idx = FLOW.indexOf(t.state)
      if (idx === -1 || t.state === 'succeeded') continue
      t.state = FLOW[idx + 1]
      updated.push({ id: t.id, state: t.state })
      if (t.state === 'submitted' || t.state === 'preparing') {
        if (t.state === 'submitted' && t.jobs === 0) { t.jobs = 1; added.push(this.jobData(t, 1, now)) }
      } else if (t.jobs) jobs.push({ id: `${t.id}/${String(t.jobs).padStart(2, '0')}`, state: t.state,
        ...(t.state === 'running' ? { startedTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
        ...(t.state === 'succeeded' ? { finishedTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') } : {}) })
    }
    return { id: this.id, added: { jobs: added }, updated: { taskProxies: updated, jobs } }
  }
}

let schemaCache: GraphQLSchema | null = null
function mockSchema(): GraphQLSchema {
  if (!schemaCache) {
    schemaCache = buildSchema(sdl)
    for (const f of Object.values(schemaCache.getMutationType()!.getFields())) f.description = describeMutation(f.name)
  }
  return schemaCache
}

export function createMockBackend(opts: MockOptions = {}): Backend {
  const state = new ConnectionState()
  const workflows = WORKFLOWS.map(([n, s, m], i) => new MockWorkflow(n, s, m, i === 0 ? 0 : 0, 17 + i))
  if (opts.tasks) workflows.unshift(new MockWorkflow('bench/big', 'running', 'running', opts.tasks, 7))
  const byId = new Map(workflows.map((w) => [w.id, w]))
  setTimeout(() => state.up(), 0)

  const stream = (sink: Sink, first: () => unknown[], next: () => unknown[], interval: number) => {
    let stopped = false
    const t0 = setTimeout(() => { if (!stopped) for (const f of first()) sink.next({ data: { deltas: f } }) }, 10)
    const timer = setInterval(() => { if (!stopped) for (const f of next()) sink.next({ data: { deltas: f } }) }, interval)
    return () => { stopped = true; clearTimeout(t0); clearInterval(timer) }
  }

  return {
    connected: state.connected,
    onReconnect: (cb) => state.onReconnect(cb),
    subscribe(query, variables, sink) {
      if (/subscription\s+App\b/.test(query)) {
        return stream(sink, () => workflows.map((w) => ({ id: w.id, added: { workflow: w.summary() } })),
          () => workflows.filter((w) => w.status === 'running').slice(0, 3)
            .map((w) => ({ id: w.id, updated: { workflow: { id: w.id, stateTotals: w.stateTotals(), latestStateTasks: w.latest() } } })),
          2000)
      }
      if (/subscription\s+Workflow\b/.test(query)) {
        const wf = byId.get(String(variables?.workflowId))
        if (!wf) return () => {}
        const live = wf.status === 'running'
        return stream(sink, () => [wf.burst()], () => (live ? [wf.step(opts.updatesPerFrame ?? 3)] : []), opts.intervalMs ?? 1500)
      }
      // Anything else (GraphiQL): execute against the schema, data resolves to null.
      graphql({ schema: mockSchema(), source: query, variableValues: variables as any })
        .then((r) => { sink.next(r as ExecutionResult); sink.complete() })
      return () => {}
    },
    async request(query, variables) {
      const m = /^\s*mutation\s+(\w+)/.exec(query)
      if (m) {
        const name = m[1]
        const wfs = (variables?.workflows as string[] | undefined) ?? []
        if (name === 'play' || name === 'clean' || name === 'scan') return { data: { [name]: { result: [true, name === 'scan' ? 'Scan requested' : 'Workflow(s) started'] } } }
        for (const id of wfs) {
          const w = byId.get(id)
          if (w && name === 'pause') w.status = 'paused'
          if (w && name === 'resume') w.status = 'running'
          if (w && name === 'setGraphWindowExtent') w.nEdge = Number(variables?.nEdgeDistance)
        }
        return { data: { [name]: { result: [{ [name]: { result: wfs.map((id) => ({ id, response: [true, crypto.randomUUID?.() ?? 'uuid'] })) } }] } } }
      }
      return (await graphql({ schema: mockSchema(), source: query, variableValues: variables as any })) as ExecutionResult
    },
    async getJson(endpoint) {
      if (endpoint === 'userprofile') {
        return {
          username: OWNER, name: OWNER, initials: 'A', owner: OWNER, mode: 'single user', extensions: { cylc: '/cylc', lab: '/lab' },
          permissions: ['broadcast', 'clean', 'extTrigger', 'hold', 'kill', 'message', 'pause', 'play', 'poll', 'read', 'release',
            'releaseHoldPoint', 'reload', 'remove', 'resume', 'scan', 'set', 'setGraphWindowExtent', 'setHoldPoint', 'setVerbosity', 'stop', 'trigger'],
        }
      }
      if (endpoint === 'version') return { 'cylc-flow': '8.5.4', 'cylc-uiserver': 'mock' }
      throw new Error(`${endpoint}: not mocked`)
    },
  }
}
