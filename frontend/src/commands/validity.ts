/**
 * Which commands a node's menu lists, and which of them are enabled given the
 * workflow's status and the user's permissions (web-api §5, §13.1).
 */
import type { NodeType } from '../store/types'
import type { Command, CommandArg } from './schema'

/** The kind of node an argument type refers to (web-api §5). */
export type ArgKind = 'workflow' | 'cycle' | 'namespace' | 'job' | null

export function argKind(arg: CommandArg): ArgKind {
  switch (arg.namedType) {
    case 'WorkflowID': return 'workflow'
    case 'CyclePoint': case 'CyclePointGlob': case 'BroadcastCyclePoint': return 'cycle'
    case 'NamespaceName': case 'NamespaceIDGlob': case 'TaskID': return 'namespace'
    case 'JobID': return 'job'
  }
  // `message` names its job argument `taskJob: String!`.
  return arg.name === 'taskJob' ? 'job' : null
}

/** Commands shown first in each menu, in this order. */
export const PRIMARY: Record<string, string[]> = {
  workflow: ['play', 'pause', 'resume', 'stop', 'reload', 'hold', 'release'],
  cycle: ['trigger', 'hold', 'release', 'kill', 'set'],
  family: ['trigger', 'hold', 'release', 'kill', 'set'],
  task: ['trigger', 'hold', 'release', 'kill', 'set'],
  job: ['kill', 'poll', 'trigger'],
}

/**
 * Whether a command belongs in a node type's menu: workflow commands are those
 * with no required task/job argument; cycle, family, task and job menus list
 * commands that take task IDs or namespaces (a cycle also cycle-point ones).
 */
export function appliesTo(cmd: Command, type: NodeType): boolean {
  const kinds = cmd.args.map((a) => ({ kind: argKind(a), required: a.required }))
  if (type === 'workflow') return !kinds.some((k) => k.required && (k.kind === 'namespace' || k.kind === 'job'))
  if (type === 'job') return kinds.some((k) => k.kind === 'namespace' || k.kind === 'job')
  if (type === 'cycle') return kinds.some((k) => k.kind === 'namespace' || (k.kind === 'cycle' && k.required))
  if (type === 'family' || type === 'task') return kinds.some((k) => k.kind === 'namespace')
  return false
}

/** Permission names the client-only commands borrow (web-api §13.1). */
const BORROWED: Record<string, string> = { editruntime: 'broadcast', log: 'read', info: 'read' }

export function isPermitted(name: string, permissions: readonly string[] | null): boolean {
  if (permissions === null) return true // not loaded yet: let the server decide
  const lower = new Set(permissions.map((p) => p.toLowerCase()))
  const key = name.toLowerCase()
  return lower.has(key) || (BORROWED[key] !== undefined && lower.has(BORROWED[key]))
}

export function isValidForStatus(cmd: Command, status: string | undefined): boolean {
  return cmd.validStates === null || (status !== undefined && cmd.validStates.includes(status))
}

export interface MenuItem {
  command: Command
  enabled: boolean
  /** Why it is disabled, for the tooltip. */
  reason: string
  primary: boolean
}

/** The menu for a node: primary commands first, then the rest by name. */
export function menuFor(
  commands: readonly Command[], type: NodeType, workflowStatus: string | undefined, permissions: readonly string[] | null,
): MenuItem[] {
  const primary = PRIMARY[type] ?? []
  const items = commands.filter((c) => appliesTo(c, type)).map((command): MenuItem => {
    const permitted = isPermitted(command.name, permissions)
    const valid = isValidForStatus(command, workflowStatus)
    return {
      command,
      enabled: permitted && valid,
      reason: !permitted ? 'You do not have permission for this command'
        : !valid ? `Only for ${command.validStates!.join(', ')} workflows` : '',
      primary: primary.includes(command.name),
    }
  })
  items.sort((a, b) => {
    if (a.primary !== b.primary) return a.primary ? -1 : 1
    if (a.primary) return primary.indexOf(a.command.name) - primary.indexOf(b.command.name)
    return a.command.name.localeCompare(b.command.name)
  })
  return items
}
