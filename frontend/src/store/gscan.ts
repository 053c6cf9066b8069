/**
 * The sidebar's workflow tree: workflows grouped by the directories of their
 * names (`a/b/run1`), single-child directories folded into one row, sorted
 * active-first, filtered by name and status.
 */
import { naturalCompare } from '../util/sort'
import { BADGE_STATES } from './states'
import type { Data } from './types'

export interface GScanWorkflow {
  kind: 'workflow'
  id: string
  /** Label shown: the last name part(s) below the directory. */
  label: string
  /** Full workflow name (`a/b/run1`). */
  name: string
  data: Data
}

export interface GScanDir {
  kind: 'dir'
  /** `dir:` + the directory path, unique among rows. */
  id: string
  label: string
  path: string
  children: GScanEntry[]
  /** Sum of the badge counts of everything below. */
  totals: Record<string, number>
  /** Best status rank below (0 = active). */
  rank: number
}

export type GScanEntry = GScanWorkflow | GScanDir

export interface GScanFilter {
  /** Substring of the workflow name (case-insensitive). */
  text: string
  /** Workflow statuses to keep; empty keeps all. */
  statuses: string[]
  /** Keep only workflows with at least one task in one of these states. */
  taskStates?: string[]
}

/** Running, paused and stopping sort first, then stopped, then anything else. */
export function statusRank(status: string | undefined): number {
  if (status === 'running' || status === 'paused' || status === 'stopping') return 0
  if (status === 'stopped') return 1
  return 2
}

function nameOf(data: Data): string {
  const id: string = data.id
  return id.startsWith('~') ? id.slice(id.indexOf('/') + 1) : id
}

export function matchesFilter(data: Data, f: GScanFilter): boolean {
  if (f.text && !nameOf(data).toLowerCase().includes(f.text.trim().toLowerCase())) return false
  if (f.statuses.length && !f.statuses.includes(data.status)) return false
  if (f.taskStates?.length) {
    const totals = data.stateTotals ?? {}
    if (!f.taskStates.some((s) => (totals[s] ?? 0) > 0)) return false
  }
  return true
}

function compareEntries(a: GScanEntry, b: GScanEntry): number {
  const ra = a.kind === 'dir' ? a.rank : statusRank(a.data.status)
  const rb = b.kind === 'dir' ? b.rank : statusRank(b.data.status)
  if (ra !== rb) return ra - rb
  return naturalCompare(a.kind === 'dir' ? a.path : a.name, b.kind === 'dir' ? b.path : b.name)
}

/** Build the sidebar tree from workflow data objects. */
export function buildGScan(workflows: Iterable<Data>, filter: GScanFilter): GScanEntry[] {
  const root: GScanDir = { kind: 'dir', id: 'dir:', label: '', path: '', children: [], totals: {}, rank: 2 }
  const dirs = new Map<string, GScanDir>([['', root]])
  for (const data of workflows) {
    if (!data.id || !matchesFilter(data, filter)) continue
    const name = nameOf(data)
    const parts = name.split('/')
    let parent = root
    for (let i = 0; i < parts.length - 1; i++) {
      const path = parts.slice(0, i + 1).join('/')
      let dir = dirs.get(path)
      if (!dir) {
        dir = { kind: 'dir', id: 'dir:' + path, label: parts[i], path, children: [], totals: {}, rank: 2 }
        dirs.set(path, dir)
        parent.children.push(dir)
      }
      parent = dir
    }
    parent.children.push({ kind: 'workflow', id: data.id, label: parts[parts.length - 1], name, data })
  }
  const finish = (dir: GScanDir): void => {
    for (const c of dir.children) {
      if (c.kind === 'dir') finish(c)
      const rank = c.kind === 'dir' ? c.rank : statusRank(c.data.status)
      dir.rank = Math.min(dir.rank, rank)
      const totals = c.kind === 'dir' ? c.totals : (c.data.stateTotals ?? {})
      for (const s of BADGE_STATES) if (totals[s]) dir.totals[s] = (dir.totals[s] ?? 0) + totals[s]
    }
    // A directory with a single child adds nothing: merge it into the child.
    dir.children = dir.children.map((c) => {
      if (c.kind === 'dir' && c.children.length === 1) {
        const only = c.children[0]
        return only.kind === 'dir'
          ? { ...only, label: `${c.label}/${only.label}` }
          : { ...only, label: `${c.label}/${only.label}` }
      }
      return c
    })
    dir.children.sort(compareEntries)
  }
  finish(root)
  return root.children
}

/** Count workflows by status (for the dashboard). */
export function countByStatus(workflows: Iterable<Data>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const w of workflows) counts[w.status ?? 'unknown'] = (counts[w.status ?? 'unknown'] ?? 0) + 1
  return counts
}
