import { describe, expect, it } from 'vitest'
import { Store, sortedChildren } from '../src/store/store'
import { FrameBatcher } from '../src/store/batch'
import { WF, burst, fam, job, task } from './helpers'

function tree(store: Store): string[] {
  // A readable dump of the tree: one "depth:type:name" entry per node.
  const out: string[] = []
  const walk = (n: any, d: number) => {
    out.push(`${d}:${n.type}:${n.name}`)
    for (const c of sortedChildren(n)) walk(c, d + 1)
  }
  const wf = store.workflows.get(WF)
  if (wf) walk(wf, 0)
  return out
}

describe('Store.applyFrame', () => {
  it('builds workflow → cycle → family → task → job from an added burst', () => {
    const s = new Store()
    s.applyFrame(burst({
      familyProxies: [fam('1', 'root', undefined, { state: 'running' }), fam('1', 'FAM', 'root'), fam('1', 'SUB', 'FAM')],
      taskProxies: [task('1', 'a'), task('1', 'b', 'FAM'), task('1', 'c', 'SUB'), task('2', 'a')],
      jobs: [job('1', 'b', 1), job('1', 'b', 2)],
    }))
    expect(tree(s)).toEqual([
      '0:workflow:demo',
      '1:cycle:1', '2:family:FAM', '3:family:SUB', '4:task:c', '3:task:b', '4:job:02', '4:job:01', '2:task:a',
      '1:cycle:2', '2:task:a',
    ])
    // The cycle's data is the root family proxy's data, found under both IDs.
    const cycle = s.lookup.get(`${WF}//1`)!
    expect(cycle.data.state).toBe('running')
    expect(s.lookup.get(`${WF}//1/root`)).toBe(cycle)
    // The tree references the lookup's objects; nothing is copied.
    const b = s.lookup.get(`${WF}//1/b`)!
    expect([...s.lookup.get(`${WF}//1/FAM`)!.children]).toContain(b)
    expect(s.extrasOf(WF).tasks.get(b.id)).toBe(b)
  })

  it('derives cycles from task proxies even without a root family', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('20250101T00', 'x'), task('20250102T00', 'x')] }))
    expect(sortedChildren(s.workflows.get(WF)!).map((c) => c.name)).toEqual(['20250101T00', '20250102T00'])
  })

  it('orders integer cycles numerically', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('10', 'x'), task('9', 'x'), task('100', 'x')] }))
    expect(sortedChildren(s.workflows.get(WF)!).map((c) => c.name)).toEqual(['9', '10', '100'])
  })

  it('merges updates shallowly: absent fields are unchanged, nested objects replaced', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a', 'root', { isHeld: true, task: { meanElapsedTime: 10 } })] }))
    const a = s.lookup.get(`${WF}//1/a`)!
    const v = a.version
    s.applyFrame({ id: WF, updated: { taskProxies: [{ id: a.id, state: 'running', task: { meanElapsedTime: 12 } }] } })
    expect(s.lookup.get(a.id)).toBe(a)
    expect(a.data).toMatchObject({ state: 'running', isHeld: true, name: 'a', task: { meanElapsedTime: 12 } })
    expect(a.version).toBeGreaterThan(v)
  })

  it('never lets a null overwrite a known value', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a', 'root', { isHeld: true })] }))
    s.applyFrame({ id: WF, added: { workflow: { id: WF, status: null, statusMsg: null } as any, taskProxies: [{ id: `${WF}//1/a`, cyclePoint: null, state: 'running' }] } })
    expect(s.workflows.get(WF)!.data.status).toBe('running')
    expect(s.lookup.get(`${WF}//1/a`)!.data).toMatchObject({ cyclePoint: '1', state: 'running', isHeld: true })
  })

  it('does not bump untouched nodes (so their rows do not re-render)', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a'), task('1', 'b')] }))
    const b = s.lookup.get(`${WF}//1/b`)!
    const v = b.version
    s.applyFrame({ id: WF, updated: { taskProxies: [{ id: `${WF}//1/a`, state: 'running' }] } })
    expect(b.version).toBe(v)
  })

  it('re-parents a task whose firstParent changes and fills placeholder families', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a', 'FAM')] }))
    const famNode = s.lookup.get(`${WF}//1/FAM`)!
    expect(famNode.placeholder).toBe(true)
    s.applyFrame({ id: WF, added: { familyProxies: [fam('1', 'FAM', 'root', { state: 'failed' })] } })
    expect(s.lookup.get(`${WF}//1/FAM`)).toBe(famNode)
    expect(famNode.placeholder).toBe(false)
    expect(famNode.data.state).toBe('failed')
    s.applyFrame({ id: WF, updated: { taskProxies: [{ id: `${WF}//1/a`, firstParent: { id: `${WF}//1/root` } }] } })
    expect(tree(s)).toEqual(['0:workflow:demo', '1:cycle:1', '2:family:FAM', '2:task:a'])
  })

  it('prunes ids, detaches them, removes emptied cycles but keeps the workflow', () => {
    const s = new Store()
    s.applyFrame(burst({
      familyProxies: [fam('1', 'root'), fam('1', 'FAM', 'root')],
      taskProxies: [task('1', 'a', 'FAM'), task('2', 'b')],
      jobs: [job('1', 'a', 1)],
      edges: [{ id: `${WF}//$edge|1/a|2/b`, source: `${WF}//1/a`, target: `${WF}//2/b` }],
    }))
    s.applyFrame({ id: WF, pruned: { jobs: [`${WF}//1/a/01`], taskProxies: [`${WF}//1/a`], edges: [`${WF}//$edge|1/a|2/b`] } })
    expect(s.lookup.has(`${WF}//1/a/01`)).toBe(false)
    expect(s.lookup.has(`${WF}//1/a`)).toBe(false)
    expect(s.lookup.get(`${WF}//1/FAM`)!.children.size).toBe(0)
    expect(s.extrasOf(WF).edges.size).toBe(0)
    s.applyFrame({ id: WF, pruned: { familyProxies: [`${WF}//1/FAM`, `${WF}//1/root`] } })
    expect(s.lookup.has(`${WF}//1`)).toBe(false)
    expect(s.lookup.has(`${WF}//1/root`)).toBe(false)
    s.applyFrame({ id: WF, pruned: { taskProxies: [`${WF}//2/b`] } })
    expect(tree(s)).toEqual(['0:workflow:demo'])
    expect(s.workflows.has(WF)).toBe(true)
    expect(s.extrasOf(WF).tasks.size).toBe(0)
  })

  it('removes a pruned task’s jobs from the lookup with it', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a'), task('1', 'b')], jobs: [job('1', 'a', 1)] }))
    s.applyFrame({ id: WF, pruned: { taskProxies: [`${WF}//1/a`] } })
    expect(s.lookup.has(`${WF}//1/a/01`)).toBe(false)
    expect(s.lookup.has(`${WF}//1`)).toBe(true)
  })

  it('removes the whole workflow only on pruned.workflow', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a')] }))
    s.applyFrame({ id: WF, pruned: { workflow: WF } })
    expect(s.workflows.has(WF)).toBe(false)
    expect(s.lookup.size).toBe(0)
  })

  it('wipes the subtree on reloaded (added or updated) but keeps the workflow node', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a'), task('1', 'b')], jobs: [job('1', 'a', 1)] }))
    const wf = s.workflows.get(WF)!
    s.applyFrame({ id: WF, updated: { workflow: { id: WF, reloaded: true, status: 'paused' }, taskProxies: [task('3', 'z')] } })
    expect(s.workflows.get(WF)).toBe(wf)
    expect(wf.data.status).toBe('paused')
    expect(tree(s)).toEqual(['0:workflow:demo', '1:cycle:3', '2:task:z'])
    expect([...s.lookup.keys()].sort()).toEqual([WF, `${WF}//3`, `${WF}//3/z`])
    expect([...s.extrasOf(WF).tasks.keys()]).toEqual([`${WF}//3/z`])
  })

  it('clears a workflow before the first frame after a reconnect', () => {
    const s = new Store()
    s.applyFrame(burst({ taskProxies: [task('1', 'a'), task('1', 'gone')] }))
    s.resetOnNextFrame(WF)
    // The new burst does not say reloaded: the reset still happens, once.
    s.applyFrame({ id: WF, added: { workflow: { id: WF }, taskProxies: [task('1', 'a')] } })
    expect(tree(s)).toEqual(['0:workflow:demo', '1:cycle:1', '2:task:a'])
    s.applyFrame({ id: WF, added: { taskProxies: [task('1', 'b')] } })
    expect(tree(s)).toEqual(['0:workflow:demo', '1:cycle:1', '2:task:a', '2:task:b'])
  })

  it('appends log records to a rolling list of 10', () => {
    const s = new Store()
    s.applyFrame({ id: WF, added: { workflow: { id: WF, logRecords: [{ level: 'WARNING', message: 'm0' }] } } })
    for (let i = 1; i <= 12; i++) {
      s.applyFrame({ id: WF, updated: { workflow: { id: WF, logRecords: [{ level: 'WARNING', message: `m${i}` }] } } })
    }
    const logs = s.extrasOf(WF).logRecords
    expect(logs.length).toBe(10)
    expect(logs[0].message).toBe('m3')
    expect(logs[9].message).toBe('m12')
  })

  it('keeps jobs that arrive before their task under a placeholder task', () => {
    const s = new Store()
    s.applyFrame({ id: WF, added: { jobs: [job('1', 'a', 1)] } })
    const t = s.lookup.get(`${WF}//1/a`)!
    expect(t.placeholder).toBe(true)
    s.applyFrame({ id: WF, added: { taskProxies: [task('1', 'a', 'root', { state: 'running' })] } })
    expect(s.lookup.get(`${WF}//1/a`)).toBe(t)
    expect(t.placeholder).toBe(false)
    expect(t.children.size).toBe(1)
  })
})

describe('FrameBatcher', () => {
  it('applies a burst of frames once, in order, on the next scheduled run', () => {
    const s = new Store()
    const runs: Array<() => void> = []
    let applied = 0
    const b = new FrameBatcher((frames) => { applied++; s.applyFrames(frames) }, (run) => runs.push(run))
    b.push(burst({ taskProxies: [task('1', 'a')] }))
    for (let i = 0; i < 100; i++) {
      b.push({ id: WF, updated: { taskProxies: [{ id: `${WF}//1/a`, state: i % 2 ? 'running' : 'submitted' }] } })
    }
    b.push({ id: WF, updated: { taskProxies: [{ id: `${WF}//1/a`, state: 'succeeded' }] } })
    expect(runs.length).toBe(1)
    expect(s.lookup.size).toBe(0)
    runs[0]()
    expect(applied).toBe(1)
    expect(s.tick).toBe(1)
    expect(s.lookup.get(`${WF}//1/a`)!.data.state).toBe('succeeded')
    // The next frame schedules a new run.
    b.push({ id: WF, updated: { taskProxies: [{ id: `${WF}//1/a`, state: 'failed' }] } })
    expect(runs.length).toBe(2)
  })
})
