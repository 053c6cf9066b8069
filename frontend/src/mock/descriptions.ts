/**
 * Mutation descriptions for the offline mock: the reference SDL has none, but
 * the command menu needs the "Valid for" sentences (web-api §5).
 */
const VALID: Record<string, string> = {
  broadcast: 'paused, running', extTrigger: 'paused, running', hold: 'paused, running', release: 'paused, running',
  reload: 'paused, running', releaseHoldPoint: 'paused, running', setGraphWindowExtent: 'paused, running',
  setHoldPoint: 'paused, running', setVerbosity: 'paused, running', trigger: 'paused, running',
  kill: 'paused, running, stopping', message: 'paused, running, stopping', poll: 'paused, running, stopping',
  remove: 'paused, running, stopping', set: 'paused, running, stopping', stop: 'paused, running, stopping',
  pause: 'running', resume: 'paused', play: 'stopped', clean: 'stopped', scan: 'stopped',
}

const SHORT: Record<string, string> = {
  broadcast: 'Override task runtime settings.', extTrigger: 'Report an external event message to a scheduler.',
  hold: 'Hold tasks within a workflow.', release: 'Release held tasks within a workflow.',
  reload: 'Reload the configuration of a running workflow.', releaseHoldPoint: 'Release all tasks and unset the workflow hold point.',
  setGraphWindowExtent: 'Set the maximum graph distance (n) from an active node of the data-store graph window.',
  setHoldPoint: 'Set workflow hold after cycle point.', setVerbosity: 'Change the logging severity level of a running workflow.',
  trigger: 'Manually trigger tasks, even in a paused workflow.', kill: 'Kill running or submitted jobs.',
  message: 'Record task messages.', poll: 'Poll (query) jobs to verify and update their statuses.',
  remove: 'Remove one or more task instances from a running workflow.', set: 'Set task prerequisites or outputs.',
  stop: 'Tell a workflow to shut down.', pause: 'Pause a workflow.', resume: 'Resume a paused workflow.',
  play: 'Start, resume or restart a workflow run.', clean: 'Delete a workflow run directory.', scan: 'Scan for new workflows.',
}

export function describeMutation(name: string): string {
  const short = SHORT[name] ?? name
  const valid = VALID[name]
  return valid ? `${short}\n\nValid for: ${valid} workflows.` : short
}
