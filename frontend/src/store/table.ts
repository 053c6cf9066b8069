/** Rows of the Table view: one per task proxy, filtered and sorted. */
import { compileGlob } from '../util/glob'
import { splitId } from '../util/ids'
import { cycleCompare, naturalCompare } from '../util/sort'
import { TASK_STATES } from './states'
import { sortedChildren } from './store'
import type { TreeNode } from './types'
import { taskMatches, type TreeFilter } from './flatten'

export type SortDir = 'asc' | 'desc'
export interface SortSpec { key: ColumnKey; dir: SortDir }

/** Table columns and how each reads its value from a task. */
export const COLUMNS = {
  state: (t: TreeNode) => TASK_STATES.indexOf(t.data.state),
  name: (t: TreeNode) => t.name,
  cyclePoint: (t: TreeNode) => t.data.cyclePoint ?? splitId(t.id).cycle ?? '',
  platform: (t: TreeNode) => latestJob(t)?.data.platform ?? '',
  jobRunnerName: (t: TreeNode) => latestJob(t)?.data.jobRunnerName ?? '',
  jobId: (t: TreeNode) => latestJob(t)?.data.jobId ?? '',
  submitNum: (t: TreeNode) => latestJob(t)?.data.submitNum ?? 0,
  submittedTime: (t: TreeNode) => latestJob(t)?.data.submittedTime ?? '',
  startedTime: (t: TreeNode) => latestJob(t)?.data.startedTime ?? '',
  finishedTime: (t: TreeNode) => latestJob(t)?.data.finishedTime ?? '',
  meanElapsedTime: (t: TreeNode) => t.data.task?.meanElapsedTime ?? -1,
} satisfies Record<string, (t: TreeNode) => string | number>
export type ColumnKey = keyof typeof COLUMNS

/** The newest job of a task, if any. */
export function latestJob(task: TreeNode): TreeNode | undefined {
  if (!task.children.size) return undefined
  return sortedChildren(task)[0]
}

function compareValues(a: string | number, b: string | number, key: ColumnKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (key === 'cyclePoint') return cycleCompare(String(a), String(b))
  return naturalCompare(String(a), String(b))
}

/**
 * Filter then sort task proxies. Ties break on cycle point then name so the
 * order is stable across updates; multi-column sorts apply in list order.
 */
export function tableRows(tasks: Iterable<TreeNode>, filter: TreeFilter, sorts: SortSpec[]): TreeNode[] {
  const idMatch = filter.id ? compileGlob(filter.id) : undefined
  const rows: TreeNode[] = []
  for (const t of tasks) if (!t.placeholder && taskMatches(t, filter, idMatch)) rows.push(t)
  const specs: SortSpec[] = [...sorts, { key: 'cyclePoint', dir: 'asc' }, { key: 'name', dir: 'asc' }]
  rows.sort((a, b) => {
    for (const s of specs) {
      const get = COLUMNS[s.key]
      const c = compareValues(get(a), get(b), s.key)
      if (c) return s.dir === 'asc' ? c : -c
    }
    return 0
  })
  return rows
}
