/**
 * Turns a workflow's tree into the visible rows of the Tree view, honouring
 * expansion and filters. Runs once per batch, so it stays allocation-light.
 */
import { compileGlob } from '../util/glob'
import { splitId } from '../util/ids'
import { sortedChildren } from './store'
import type { TreeNode } from './types'

export interface TreeRow {
  node: TreeNode
  depth: number
  expandable: boolean
  expanded: boolean
  /** A details row under a job rather than the job itself. */
  details?: boolean
}

export interface TreeFilter {
  /** ID glob on the relative task ID `cycle/task` (or a substring). */
  id: string
  /** Task states to keep; empty keeps all. */
  states: string[]
}

export interface FlattenOptions {
  /** Expanded IDs, or a function deciding per node (for per-type defaults). */
  expanded: ReadonlySet<string> | ((node: TreeNode) => boolean)
  filter?: TreeFilter
  /** Newest cycle first (the default) or oldest first. */
  cyclesNewestFirst?: boolean
}

/** Whether a task passes the filter. */
export function taskMatches(task: TreeNode, filter: TreeFilter | undefined, idMatch?: (s: string) => boolean): boolean {
  if (!filter) return true
  if (filter.states.length && !filter.states.includes(task.data.state)) return false
  if (filter.id && idMatch) {
    const rel = splitId(task.id).relative
    if (!idMatch(rel) && !idMatch(task.name)) return false
  }
  return true
}

/** The visible rows of one workflow's tree, cycles down to job details. */
export function flattenTree(workflow: TreeNode, opts: FlattenOptions): TreeRow[] {
  const rows: TreeRow[] = []
  const filter = opts.filter && (opts.filter.id || opts.filter.states.length) ? opts.filter : undefined
  const idMatch = filter?.id ? compileGlob(filter.id) : undefined
  // With a filter, a family or cycle is shown only if something under it matches.
  const keep = new Map<TreeNode, boolean>()
  const visible = (node: TreeNode): boolean => {
    if (!filter) return true
    if (node.type === 'task') return taskMatches(node, filter, idMatch)
    if (node.type === 'job') return true
    let hit = keep.get(node)
    if (hit === undefined) {
      hit = false
      for (const c of node.children) if (visible(c)) { hit = true; break }
      keep.set(node, hit)
    }
    return hit
  }
  const isExpanded = typeof opts.expanded === 'function' ? opts.expanded : (n: TreeNode) => (opts.expanded as ReadonlySet<string>).has(n.id)
  const walk = (node: TreeNode, depth: number): void => {
    const kids = node.type === 'job' ? [] : sortedChildren(node)
    const expandable = node.type === 'job' || kids.length > 0
    const expanded = expandable && isExpanded(node)
    rows.push({ node, depth, expandable, expanded })
    if (!expanded) return
    if (node.type === 'job') {
      rows.push({ node, depth: depth + 1, expandable: false, expanded: false, details: true })
      return
    }
    for (const c of kids) if (visible(c)) walk(c, depth + 1)
  }
  const cycles = sortedChildren(workflow)
  const ordered = opts.cyclesNewestFirst === false ? cycles : [...cycles].reverse()
  for (const cycle of ordered) if (visible(cycle)) walk(cycle, 0)
  return rows
}

/** IDs to expand for "expand all": every cycle and family (not jobs). */
export function expandableIds(workflow: TreeNode): string[] {
  const ids: string[] = []
  const walk = (n: TreeNode) => {
    if (n.type === 'cycle' || n.type === 'family') ids.push(n.id)
    if (n.type !== 'task') for (const c of n.children) walk(c)
  }
  for (const c of workflow.children) walk(c)
  return ids
}
