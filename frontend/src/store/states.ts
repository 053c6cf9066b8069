/** Cylc task and workflow states, in the order the UI lists them. */
export const TASK_STATES = [
  'waiting', 'expired', 'preparing', 'submit-failed', 'submitted', 'running', 'failed', 'succeeded',
] as const
export type TaskState = (typeof TASK_STATES)[number]

export const WORKFLOW_STATES = ['running', 'paused', 'stopping', 'stopped'] as const

/** Badge states of the sidebar, most urgent first (web-api §15). */
export const BADGE_STATES = ['failed', 'submit-failed', 'submitted', 'running'] as const

/** Task modifiers shown as small marks on the state icon. */
export const MODIFIERS = ['isHeld', 'isQueued', 'isRunahead', 'isRetry', 'isWallclock', 'isXtriggered'] as const
export type Modifier = (typeof MODIFIERS)[number]

export const MODIFIER_LABELS: Record<Modifier, string> = {
  isHeld: 'held', isQueued: 'queued', isRunahead: 'runahead',
  isRetry: 'retry', isWallclock: 'wallclock', isXtriggered: 'xtriggered',
}
