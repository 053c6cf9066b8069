/**
 * The UI's copy of the server's data: a flat lookup of every node by ID and
 * a tree of references (workflow → cycle → family → task → job).
 *
 * Frames are merged in the server's order (web-api §7.5): a `reloaded`
 * workflow loses its subtree first, then `added`, then `updated` (shallow
 * merge: a field missing from an update is unchanged), then `pruned`.
 *
 * Everything here is plain JavaScript: no Vue reactivity. With 20,000 task
 * proxies, deep reactive proxies would cost more than the rendering, so views
 * watch `Store.tick` and each node's `version` instead.
 */
import { parentId, splitId, lastSegment } from '../util/ids'
import { cycleCompare, naturalCompare } from '../util/sort'
import type { Data, DeltasFrame, DeltaSection, NodeType, TreeNode, WorkflowExtras } from './types'

const MAX_LOG_RECORDS = 10
const TYPE_ORDER: Record<NodeType, number> = { workflow: 0, cycle: 1, family: 2, task: 3, job: 4, edge: 5 }

function makeNode(id: string, type: NodeType, placeholder = false): TreeNode {
  return { id, type, name: lastSegment(id), data: { id }, parent: null, children: new Set(), version: 0, placeholder, sorted: null }
}

/** Compare siblings: cycles by point, families before tasks, names naturally, newest job first. */
export function siblingCompare(a: TreeNode, b: TreeNode): number {
  if (a.type !== b.type) return TYPE_ORDER[a.type] - TYPE_ORDER[b.type]
  if (a.type === 'cycle') return cycleCompare(a.name, b.name)
  if (a.type === 'job') return (b.data.submitNum ?? Number(b.name)) - (a.data.submitNum ?? Number(a.name))
  return naturalCompare(a.name, b.name)
}

/** A node's children in display order (cached until they change). */
export function sortedChildren(node: TreeNode): TreeNode[] {
  if (!node.sorted) node.sorted = [...node.children].sort(siblingCompare)
  return node.sorted
}

/**
 * Shallow merge that ignores nulls: with `stripNull` an unset field is
 * absent, and a null from a section without it (or a partial `added`) must
 * not wipe a known value either.
 */
export function mergeInto(target: Data, src: Data): Data {
  for (const key in src) {
    const v = src[key]
    if (v !== null && v !== undefined) target[key] = v
  }
  return target
}

function isRootFamily(id: string): boolean {
  return lastSegment(id) === 'root'
}

export class Store {
  /** Every workflow, cycle, family proxy, task proxy, job and edge by ID. */
  readonly lookup = new Map<string, TreeNode>()
  readonly workflows = new Map<string, TreeNode>()
  readonly extras = new Map<string, WorkflowExtras>()
  /** Bumped once per applied batch; views watch this. */
  tick = 0
  /** Workflows whose subtree is wiped before their next frame (reconnects). */
  private readonly resetPending = new Set<string>()

  /** Apply one `deltas` frame. */
  applyFrame(frame: DeltasFrame): void {
    const wfId = frame.id || frame.added?.workflow?.id || frame.updated?.workflow?.id || frame.pruned?.workflow
    if (!wfId) return
    if (frame.resetPending) { this.resetOnNextFrame(wfId); return }
    if (this.resetPending.delete(wfId) || frame.added?.workflow?.reloaded || frame.updated?.workflow?.reloaded) {
      this.wipe(wfId)
    }
    if (frame.added) this.merge(wfId, frame.added, true)
    if (frame.updated) this.merge(wfId, frame.updated, false)
    const pruned = frame.pruned
    if (pruned) {
      for (const id of pruned.jobs ?? []) this.remove(id)
      for (const id of pruned.taskProxies ?? []) this.remove(id)
      for (const id of pruned.familyProxies ?? []) this.remove(id)
      for (const id of pruned.edges ?? []) this.removeEdge(wfId, id)
      if (pruned.workflow) this.removeWorkflow(pruned.workflow)
    }
  }

  /** Apply a batch of frames in order and bump `tick` once. */
  applyFrames(frames: DeltasFrame[]): void {
    for (const frame of frames) this.applyFrame(frame)
    this.tick++
  }

  /** Wipe this workflow's subtree before its next frame (its subscription restarted). */
  resetOnNextFrame(wfId: string): void {
    this.resetPending.add(wfId)
  }

  /** Remove everything under a workflow but keep the workflow node. */
  wipe(wfId: string): void {
    const wf = this.workflows.get(wfId)
    if (!wf) return
    for (const cycle of wf.children) this.forget(cycle)
    wf.children.clear()
    wf.sorted = null
    wf.version++
    const ex = this.extrasOf(wfId)
    for (const edge of ex.edges.keys()) this.lookup.delete(edge)
    ex.edges.clear()
    ex.tasks.clear()
    ex.structure++
  }

  /** Remove a workflow and everything under it. */
  removeWorkflow(wfId: string): void {
    this.wipe(wfId)
    this.workflows.delete(wfId)
    this.lookup.delete(wfId)
    this.extras.delete(wfId)
    this.resetPending.delete(wfId)
  }

  extrasOf(wfId: string): WorkflowExtras {
    let ex = this.extras.get(wfId)
    if (!ex) {
      ex = { logRecords: [], tasks: new Map(), edges: new Map(), structure: 0 }
      this.extras.set(wfId, ex)
    }
    return ex
  }

  // -- merging -------------------------------------------------------------

  private merge(wfId: string, section: DeltaSection, added: boolean): void {
    if (section.workflow) this.mergeWorkflow(wfId, section.workflow, added)
    // Families before tasks so tasks find their parents; a parent that has
    // not arrived yet is created as a placeholder and filled in later.
    for (const d of section.familyProxies ?? []) this.mergeFamily(wfId, d)
    for (const d of section.taskProxies ?? []) this.mergeTask(wfId, d)
    for (const d of section.jobs ?? []) this.mergeJob(wfId, d)
    for (const d of section.edges ?? []) this.mergeEdge(wfId, d)
  }

  private ensureWorkflow(wfId: string): TreeNode {
    let wf = this.workflows.get(wfId)
    if (!wf) {
      wf = makeNode(wfId, 'workflow')
      wf.name = splitId(wfId).workflowName
      this.workflows.set(wfId, wf)
      this.lookup.set(wfId, wf)
      this.extrasOf(wfId)
    }
    return wf
  }

  private mergeWorkflow(wfId: string, data: Data, added: boolean): void {
    const wf = this.ensureWorkflow(wfId)
    const { logRecords, ...rest } = data
    mergeInto(wf.data, rest)
    if (logRecords) {
      const ex = this.extrasOf(wfId)
      // An `added` workflow carries the server's current list; updates carry new records.
      ex.logRecords = (added ? [...logRecords] : [...ex.logRecords, ...logRecords]).slice(-MAX_LOG_RECORDS)
      wf.data.logRecords = logRecords
    }
    wf.placeholder = false
    wf.version++
  }

  private ensureCycle(wfId: string, point: string): TreeNode {
    const id = `${wfId}//${point}`
    let cycle = this.lookup.get(id)
    if (!cycle) {
      const wf = this.ensureWorkflow(wfId)
      cycle = makeNode(id, 'cycle')
      cycle.data = { id, cyclePoint: point }
      this.lookup.set(id, cycle)
      this.attach(cycle, wf)
    }
    return cycle
  }

  /** The family (or, for `root` / no parent, the cycle) a node hangs under. */
  private parentFor(wfId: string, point: string, firstParent: string | undefined): TreeNode {
    if (!firstParent || isRootFamily(firstParent)) return this.ensureCycle(wfId, point)
    return this.ensureFamily(wfId, firstParent, point)
  }

  private ensureFamily(wfId: string, id: string, point: string): TreeNode {
    let fam = this.lookup.get(id)
    if (!fam) {
      fam = makeNode(id, 'family', true)
      fam.data = { id, name: lastSegment(id), cyclePoint: point }
      this.lookup.set(id, fam)
      this.attach(fam, this.ensureCycle(wfId, point))
    }
    return fam
  }

  private mergeFamily(wfId: string, d: Data): void {
    const id: string = d.id
    const point: string = d.cyclePoint ?? splitId(id).cycle ?? ''
    if (isRootFamily(id)) {
      // The root family proxy carries the cycle's state: it becomes the cycle's data.
      const cycle = this.ensureCycle(wfId, point)
      mergeInto(cycle.data, d)
      Object.assign(cycle.data, { id: cycle.id, cyclePoint: point, rootId: id })
      this.lookup.set(id, cycle)
      cycle.version++
      this.bumpAncestors(cycle)
      return
    }
    let fam = this.lookup.get(id)
    if (!fam) {
      fam = makeNode(id, 'family')
      this.lookup.set(id, fam)
    }
    mergeInto(fam.data, d)
    fam.placeholder = false
    fam.version++
    const parent = this.parentFor(wfId, point, fam.data.firstParent?.id)
    if (fam.parent !== parent) this.attach(fam, parent)
    else this.bumpAncestors(fam)
  }

  private mergeTask(wfId: string, d: Data): void {
    const id: string = d.id
    let task = this.lookup.get(id)
    const isNew = !task
    if (!task) {
      task = makeNode(id, 'task')
      this.lookup.set(id, task)
    }
    mergeInto(task.data, d)
    task.placeholder = false
    task.version++
    const point: string = task.data.cyclePoint ?? splitId(id).cycle ?? ''
    const parent = this.parentFor(wfId, point, task.data.firstParent?.id)
    if (task.parent !== parent) this.attach(task, parent)
    else this.bumpAncestors(task)
    if (isNew) {
      const ex = this.extrasOf(wfId)
      ex.tasks.set(id, task)
      ex.structure++
    }
  }

  private mergeJob(wfId: string, d: Data): void {
    const id: string = d.id
    let job = this.lookup.get(id)
    if (!job) {
      job = makeNode(id, 'job')
      this.lookup.set(id, job)
    }
    mergeInto(job.data, d)
    job.placeholder = false
    job.version++
    if (!job.parent) {
      const taskId = parentId(id)
      let task = this.lookup.get(taskId)
      if (!task) {
        // A job without its task yet: hold it in a placeholder task.
        task = makeNode(taskId, 'task', true)
        this.lookup.set(taskId, task)
        this.extrasOf(wfId).tasks.set(taskId, task)
        this.extrasOf(wfId).structure++
        this.attach(task, this.ensureCycle(wfId, splitId(taskId).cycle ?? ''))
      }
      this.attach(job, task)
    } else {
      job.parent.sorted = null
      this.bumpAncestors(job)
    }
  }

  private mergeEdge(wfId: string, d: Data): void {
    const ex = this.extrasOf(wfId)
    let edge = ex.edges.get(d.id)
    if (!edge) {
      edge = makeNode(d.id, 'edge')
      ex.edges.set(d.id, edge)
      this.lookup.set(d.id, edge)
    }
    mergeInto(edge.data, d)
    edge.version++
  }

  // -- structure -----------------------------------------------------------

  private attach(node: TreeNode, parent: TreeNode): void {
    if (node.parent) this.detach(node)
    node.parent = parent
    parent.children.add(node)
    parent.sorted = null
    this.bumpAncestors(node)
  }

  private detach(node: TreeNode): void {
    const parent = node.parent
    if (!parent) return
    parent.children.delete(node)
    parent.sorted = null
    node.parent = null
    parent.version++
    this.bumpAncestors(parent)
  }

  /** Ancestors change too: their rows show child counts and expansion. */
  private bumpAncestors(node: TreeNode): void {
    for (let p = node.parent; p; p = p.parent) p.version++
  }

  /** Drop a node and its subtree from the lookup (the tree links go with it). */
  private forget(node: TreeNode): void {
    for (const child of node.children) this.forget(child)
    this.lookup.delete(node.id)
    if (node.type === 'cycle' && node.data.rootId) this.lookup.delete(node.data.rootId)
    if (node.type === 'task') {
      const ex = this.extras.get(splitId(node.id).workflowId)
      if (ex?.tasks.delete(node.id)) ex.structure++
    }
  }

  /** Prune one family proxy, task proxy or job. */
  remove(id: string): void {
    if (isRootFamily(id)) {
      // The cycle stays while it has children; it just loses its state.
      const cycle = this.lookup.get(parentId(id))
      this.lookup.delete(id)
      if (cycle?.type === 'cycle') {
        cycle.data = { id: cycle.id, cyclePoint: cycle.name }
        cycle.version++
        if (cycle.children.size === 0) this.removeNode(cycle)
      }
      return
    }
    const node = this.lookup.get(id)
    if (!node || node.type === 'workflow' || node.type === 'edge') return
    if (node.type === 'family') {
      // Children left behind (out-of-order prunes) move up rather than vanish.
      const up = node.parent
      for (const child of [...node.children]) if (up) this.attach(child, up)
    }
    this.removeNode(node)
  }

  private removeNode(node: TreeNode): void {
    let parent = node.parent
    this.detach(node)
    this.forget(node)
    // Remove parents emptied by this prune: placeholders and cycles, never workflows.
    while (parent && parent.type !== 'workflow' && parent.children.size === 0 &&
           (parent.type === 'cycle' || parent.placeholder)) {
      const up = parent.parent
      this.detach(parent)
      this.forget(parent)
      parent = up
    }
  }

  private removeEdge(wfId: string, id: string): void {
    const ex = this.extras.get(wfId)
    if (ex?.edges.delete(id)) this.lookup.delete(id)
  }
}
