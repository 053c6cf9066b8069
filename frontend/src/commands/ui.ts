/** Open command menus and forms from anywhere; send mutations and report outcomes. */
import { shallowRef } from 'vue'
import { backend, data, notify } from '../services'
import { splitId } from '../util/ids'
import type { Command } from './schema'
import { initialValues, mutationDocument, validate, variablesToSend, type FormValues, type NodeContext } from './forms'
import { interpretResult, type Outcome } from './results'

export interface MenuState { x: number; y: number; ctx: NodeContext; title: string }
export const menu = shallowRef<MenuState | null>(null)
export const form = shallowRef<{ cmd: Command; ctx: NodeContext } | null>(null)

/** Open the command menu for a node next to the element that was clicked. */
export function openMenu(ctx: NodeContext, anchor: Element | { x: number; y: number }): void {
  const r = anchor instanceof Element ? anchor.getBoundingClientRect() : { left: anchor.x, bottom: anchor.y }
  const p = splitId(ctx.id)
  menu.value = { x: r.left, y: r.bottom + 4, ctx, title: ctx.type === 'workflow' ? p.workflowName : p.relative }
}

/** Status of the workflow a node belongs to, for "Valid for" checks. */
export function workflowStatus(id: string): string | undefined {
  return data.store.workflows.get(splitId(id).workflowId)?.data.status
}

/** Send a mutation and show its outcome. */
export async function sendCommand(cmd: Command, values: FormValues): Promise<Outcome> {
  const errors = validate(cmd, values)
  if (Object.keys(errors).length) {
    const outcome = { ok: false, message: `${cmd.name}: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}` }
    notify(false, outcome.message)
    return outcome
  }
  const vars = variablesToSend(cmd, values)
  const response = await backend.request(mutationDocument(cmd, vars), vars, cmd.name)
  const outcome = interpretResult(cmd.name, response)
  notify(outcome.ok, outcome.ok ? `${cmd.name}: ${outcome.message}` : outcome.message)
  return outcome
}

/** Commands that destroy data always go through their form (a second click). */
const CONFIRM = new Set(['clean', 'remove'])

/** Run a command straight from a menu: with its auto-filled values, or open the form if those are not enough. */
export async function quickRun(cmd: Command, ctx: NodeContext): Promise<void> {
  const values = initialValues(cmd, ctx)
  if (CONFIRM.has(cmd.name) || Object.keys(validate(cmd, values)).length) {
    form.value = { cmd, ctx }
    return
  }
  await sendCommand(cmd, values)
}
