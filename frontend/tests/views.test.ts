import { describe, expect, it } from 'vitest'
import { Store } from '../src/store/store'
import { flattenTree, expandableIds } from '../src/store/flatten'
import { tableRows } from '../src/store/table'
import { buildGScan, statusRank } from '../src/store/gscan'
import { compileGlob } from '../src/util/glob'
import { WF, burst, fam, job, task } from './helpers'

function sample(): Store {
  const s = new Store()
  s.applyFrame(burst({
    familyProxies: [fam('1', 'root'), fam('1', 'FAM', 'root'), fam('2', 'root'), fam('2', 'FAM', 'root')],
    taskProxies: [
      task('1', 'a', 'FAM', { state: 'succeeded' }), task('1', 'b', 'FAM', { state: 'failed' }),
      task('1', 'c', 'root', { state: 'running' }), task('2', 'a', 'FAM', { state: 'waiting' }),
      task('2', 'b10', 'FAM', { state: 'running' }), task('2', 'b9', 'FAM', { state: 'running' }),
    ],
    jobs: [job('1', 'b', 1, { platform: 'hpc' }), job('1', 'b', 2, { platform: 'local' })],
  }))
  return s
}

const label = (r: { node: { type: string; name: string }; depth: number; details?: boolean }) =>
  `${'  '.repeat(r.depth)}${r.details ? 'details' : `${r.node.type}:${r.node.name}`}`

describe('flattenTree', () => {
  it('shows only expanded branches, newest cycle first', () => {
    const s = sample()
    const wf = s.workflows.get(WF)!
    const rows = flattenTree(wf, { expanded: new Set([`${WF}//1`]) })
    expect(rows.map(label)).toEqual(['cycle:2', 'cycle:1', '  family:FAM', '  task:c'])
    expect(rows[0].expandable && !rows[0].expanded).toBe(true)
  })

  it('expands everything, jobs newest first, and a job details row', () => {
    const s = sample()
    const wf = s.workflows.get(WF)!
    const expanded = new Set([...expandableIds(wf), `${WF}//1/b`, `${WF}//1/b/02`])
    const rows = flattenTree(wf, { expanded, cyclesNewestFirst: false })
    expect(rows.map(label)).toEqual([
      'cycle:1', '  family:FAM', '    task:a', '    task:b', '      job:02', '        details', '      job:01', '  task:c',
      'cycle:2', '  family:FAM', '    task:a', '    task:b9', '    task:b10',
    ])
  })

  it('filters by state and id glob, keeping only ancestors with matches', () => {
    const s = sample()
    const wf = s.workflows.get(WF)!
    const expanded = new Set(expandableIds(wf))
    expect(flattenTree(wf, { expanded, filter: { id: '', states: ['failed'] } }).map(label))
      .toEqual(['cycle:1', '  family:FAM', '    task:b'])
    expect(flattenTree(wf, { expanded, filter: { id: '2/b*', states: [] } }).map(label))
      .toEqual(['cycle:2', '  family:FAM', '    task:b9', '    task:b10'])
    expect(flattenTree(wf, { expanded, filter: { id: '*/c', states: ['running'] } }).map(label))
      .toEqual(['cycle:1', '  task:c'])
    expect(flattenTree(wf, { expanded, filter: { id: 'zzz', states: [] } })).toEqual([])
  })
})

describe('tableRows', () => {
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id.slice(WF.length + 2))
  it('filters by id glob and state', () => {
    const s = sample()
    const tasks = s.extrasOf(WF).tasks.values()
    expect(ids(tableRows(tasks, { id: '*/b*', states: ['running'] }, []))).toEqual(['2/b9', '2/b10'])
    expect(ids(tableRows(s.extrasOf(WF).tasks.values(), { id: '1/?', states: [] }, []))).toEqual(['1/a', '1/b', '1/c'])
    // Without glob characters the filter is a substring search.
    expect(ids(tableRows(s.extrasOf(WF).tasks.values(), { id: 'b1', states: [] }, []))).toEqual(['2/b10'])
  })

  it('sorts by a column, both directions, with stable tie-breaks', () => {
    const s = sample()
    const all = () => s.extrasOf(WF).tasks.values()
    expect(ids(tableRows(all(), { id: '', states: [] }, [{ key: 'name', dir: 'asc' }])))
      .toEqual(['1/a', '2/a', '1/b', '2/b9', '2/b10', '1/c'])
    expect(ids(tableRows(all(), { id: '', states: [] }, [{ key: 'name', dir: 'desc' }])))
      .toEqual(['1/c', '2/b10', '2/b9', '1/b', '1/a', '2/a'])
    // State order follows the Cylc state list; ties by cycle then name.
    expect(ids(tableRows(all(), { id: '', states: [] }, [{ key: 'state', dir: 'asc' }])))
      .toEqual(['2/a', '1/c', '2/b9', '2/b10', '1/b', '1/a'])
    // Columns from the latest job.
    expect(ids(tableRows(all(), { id: '1/*', states: [] }, [{ key: 'platform', dir: 'desc' }])))
      .toEqual(['1/b', '1/a', '1/c'])
  })
})

describe('compileGlob', () => {
  it('matches fnmatch patterns', () => {
    expect(compileGlob('1/*')('1/foo')).toBe(true)
    expect(compileGlob('1/*')('2/foo')).toBe(false)
    expect(compileGlob('[!a]*')('bar')).toBe(true)
    expect(compileGlob('[!a]*')('abc')).toBe(false)
    expect(compileGlob('a.b')('axb')).toBe(false)
    expect(compileGlob('')('anything')).toBe(true)
  })
})

describe('buildGScan', () => {
  const w = (name: string, status: string, totals: Record<string, number> = {}) =>
    ({ id: `~alice/${name}`, status, stateTotals: totals })

  it('groups by directory, flattens single-child dirs, sorts active first', () => {
    const tree = buildGScan([
      w('zeta', 'running'), w('alpha', 'stopped'), w('proj/run1', 'stopped', { failed: 2 }),
      w('proj/run2', 'paused', { failed: 1, running: 3 }), w('deep/er/only', 'stopped'), w('beta', 'stopping'),
    ], { text: '', statuses: [] })
    const dump = (es: any[], d = 0): string[] => es.flatMap((e) =>
      [`${'  '.repeat(d)}${e.kind}:${e.label}`, ...(e.kind === 'dir' ? dump(e.children, d + 1) : [])])
    expect(dump(tree)).toEqual([
      'workflow:beta', 'dir:proj', '  workflow:run2', '  workflow:run1', 'workflow:zeta',
      'workflow:alpha', 'workflow:deep/er/only',
    ])
    const proj = tree.find((e) => e.label === 'proj') as any
    expect(proj.totals).toEqual({ failed: 3, running: 3 })
  })

  it('filters by name and status', () => {
    const list = [w('a/x', 'running'), w('a/y', 'stopped'), w('b', 'paused')]
    const names = (es: any[]): string[] => es.flatMap((e) => (e.kind === 'dir' ? names(e.children) : [e.name]))
    expect(names(buildGScan(list, { text: 'A/', statuses: [] }))).toEqual(['a/x', 'a/y'])
    expect(names(buildGScan(list, { text: '', statuses: ['stopped', 'paused'] }))).toEqual(['b', 'a/y'])
    expect(names(buildGScan([w('q', 'running', { failed: 1 }), w('r', 'running')], { text: '', statuses: [], taskStates: ['failed'] }))).toEqual(['q'])
  })

  it('ranks statuses', () => {
    expect(['stopped', 'paused', 'running', 'stopping', undefined].map(statusRank)).toEqual([1, 0, 0, 0, 2])
  })
})
