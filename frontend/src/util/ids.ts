/**
 * Cylc universal IDs: `~user/workflow//cycle/task/job`.
 * The UI only needs to split them; it never has to build arbitrary ones.
 */

export interface IdParts {
  /** `~user/workflow`, the part before `//`. */
  workflowId: string
  /** Workflow name without the `~user/` prefix (may contain `/`). */
  workflowName: string
  cycle?: string
  task?: string
  job?: string
  /** The part after `//` (`cycle/task/job`), empty for a workflow. */
  relative: string
}

/** Split a universal ID into its parts. */
export function splitId(id: string): IdParts {
  const sep = id.indexOf('//')
  const workflowId = sep === -1 ? id : id.slice(0, sep)
  const relative = sep === -1 ? '' : id.slice(sep + 2)
  const workflowName = workflowId.startsWith('~') ? workflowId.slice(workflowId.indexOf('/') + 1) : workflowId
  const [cycle, task, job] = relative ? relative.split('/') : []
  return { workflowId, workflowName, cycle, task, job, relative }
}

/** The ID of the node one level up (job → task → cycle → workflow). */
export function parentId(id: string): string {
  const sep = id.indexOf('//')
  if (sep === -1) return ''
  const cut = id.lastIndexOf('/')
  return cut <= sep + 1 ? id.slice(0, sep) : id.slice(0, cut)
}

/** The last segment of an ID: the name shown in trees. */
export function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1)
}

/** Build a workflow ID as the UI does: `~<owner>/<name>`. */
export function workflowIdFor(owner: string, name: string): string {
  return `~${owner}/${name}`
}
