/** Shapes of the data layer: merged GraphQL objects wrapped in tree nodes. */

export type NodeType = 'workflow' | 'cycle' | 'family' | 'task' | 'job' | 'edge'

/** A GraphQL object as merged from frames: whatever fields the server sent. */
export type Data = Record<string, any>

/**
 * One entry of the lookup. The tree links these same objects together;
 * nothing is ever copied, so a view holding a node always sees current data.
 * Nodes are plain (non-reactive) objects: views react to `version`.
 */
export interface TreeNode {
  id: string
  type: NodeType
  /** Last ID segment: cycle point, family/task name, job number. */
  name: string
  /** Merged fields; for a cycle this is the `root` family proxy's data. */
  data: Data
  parent: TreeNode | null
  /** Unsorted; read them through `sortedChildren`. */
  children: Set<TreeNode>
  /** Bumped whenever `data` or the children change. */
  version: number
  /** Created only because a child referred to it; no data has arrived yet. */
  placeholder: boolean
  /** Cached sort of `children`, dropped whenever they change. */
  sorted: TreeNode[] | null
}

/** Workflow-level extras kept beside the GraphQL data. */
export interface WorkflowExtras {
  /** Rolling list of the last log records (newest last). */
  logRecords: Array<{ level: string; message: string }>
  /** Task proxies by ID, for the table. */
  tasks: Map<string, TreeNode>
  edges: Map<string, TreeNode>
  /** Bumped when tasks are added or removed (not on plain updates). */
  structure: number
}

/** The `deltas` payload of one frame. */
export interface DeltasFrame {
  id?: string
  /** Client-side marker queued on reconnect: wipe this workflow before its next frame. */
  resetPending?: boolean
  shutdown?: boolean
  added?: DeltaSection
  updated?: DeltaSection
  pruned?: PrunedSection
}

export interface DeltaSection {
  workflow?: Data | null
  familyProxies?: Data[] | null
  taskProxies?: Data[] | null
  jobs?: Data[] | null
  edges?: Data[] | null
}

export interface PrunedSection {
  workflow?: string | null
  familyProxies?: string[] | null
  taskProxies?: string[] | null
  jobs?: string[] | null
  edges?: string[] | null
}
