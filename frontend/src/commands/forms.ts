/**
 * Command forms generated from introspection: initial values (defaults, then
 * auto-filled from the node), validation by argument type, and the variables
 * actually sent: only those that differ from the schema defaults (§6.10).
 */
import { splitId } from '../util/ids'
import type { NodeType } from '../store/types'
import type { Command, CommandArg } from './schema'
import { argKind } from './validity'

/** What a form was opened on. */
export interface NodeContext {
  type: NodeType
  /** Full ID of the node (`~u/wf//1/foo/01`). */
  id: string
}

/** One form field's value as edited: scalars as text, lists as arrays of text. */
export type FieldValue = string | boolean | string[] | null

export type FormValues = Record<string, FieldValue>

const INT = /^[-+]?\d+$/
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
const NAME = /^[\w\-+%@]+$/
const CYCLE_POINT = /^(\d+|\d{4,8}(T\d{2,6}(\.\d+)?)?(Z|[+-]\d{2,4})?|[\d\-:T+Z.]+)$/
const CYCLE_POINT_GLOB = /^[\w\-:+*?.[\]!]+$/

/** Per-type validators (web-api §5): return an error message or null. */
const VALIDATORS: Record<string, (v: string) => string | null> = {
  Int: (v) => (INT.test(v) ? null : 'Must be a whole number'),
  Float: (v) => (FLOAT.test(v) ? null : 'Must be a number'),
  CyclePoint: (v) => (CYCLE_POINT.test(v) ? null : 'Not a valid cycle point'),
  CyclePointGlob: (v) => (CYCLE_POINT_GLOB.test(v) ? null : 'Not a valid cycle point glob'),
  BroadcastCyclePoint: (v) => (v === '*' || CYCLE_POINT.test(v) ? null : 'A cycle point or *'),
  TaskID: (v) => (/^[^/:\s]+\/[^/:\s]+$/.test(v) ? null : 'Expected cycle/task'),
  NamespaceIDGlob: (v) => (/^[^/:\s]+(\/[^/:\s]+)?(:[\w-]+)?$/.test(v) ? null : 'Expected cycle[/task][:state]'),
  NamespaceName: (v) => (/^[\w\-+%@*?[\]!]+$/.test(v) ? null : 'Not a valid family or task name'),
  TimePoint: (v) => (/^\d{4}-?\d{2}-?\d{2}(T[\d:.]+)?(Z|[+-][\d:]+)?$/.test(v) ? null : 'Expected an ISO 8601 date-time'),
  Flow: (v) => (/^(all|new|none|\d+)$/.test(v) ? null : 'A flow number, "all", "new" or "none"'),
  BroadcastSetting: (v) => (/^[^=\s][^=]*=.*$/.test(v) || isJsonObject(v) ? null : 'Expected key=value or [section]key=value'),
  OutputLabel: (v) => (NAME.test(v) ? null : 'Not a valid output label'),
  WorkflowID: (v) => (v.trim() ? null : 'Required'),
}

function isJsonObject(v: string): boolean {
  try {
    const o = JSON.parse(v)
    return typeof o === 'object' && o !== null && !Array.isArray(o)
  } catch {
    return false
  }
}

/** Is this arg edited as a single JSON text (nested lists, generic scalars)? */
function isJsonField(arg: CommandArg): boolean {
  return arg.typeString.replace(/!/g, '').startsWith('[[') || arg.namedType === 'GenericScalar'
}

/** A schema default turned into a form value. */
function defaultToField(arg: CommandArg): FieldValue {
  const d = arg.defaultValue
  if (isJsonField(arg)) return d === undefined || d === null ? '' : JSON.stringify(d)
  if (arg.namedType === 'Boolean') return d === true
  if (arg.isList) return Array.isArray(d) ? d.map((x) => String(x)) : []
  if (d === undefined || d === null) return arg.enumValues && arg.required ? arg.enumValues[0] : ''
  return typeof d === 'object' ? JSON.stringify(d) : String(d)
}

/** What the node fills into an argument of this kind, if anything. */
function autoFill(arg: CommandArg, ctx: NodeContext): string | null {
  const p = splitId(ctx.id)
  switch (argKind(arg)) {
    case 'workflow': return p.workflowId
    case 'cycle':
      if (arg.name === 'cutoff') return null
      return ctx.type === 'workflow' ? null : p.cycle ?? null
    case 'namespace':
      if (ctx.type === 'workflow') return null
      if (arg.namedType === 'NamespaceName') return ctx.type === 'cycle' ? 'root' : p.task ?? null
      // A cycle fills the bare cycle point (`cycle[/task]`); a job acts on its task.
      if (arg.namedType === 'TaskID' && ctx.type === 'cycle') return null
      return ctx.type === 'cycle' ? p.cycle! : `${p.cycle}/${p.task}`
    case 'job': return ctx.type === 'job' ? p.relative : null
  }
  return null
}

/** The values a form opens with. */
export function initialValues(cmd: Command, ctx: NodeContext): FormValues {
  const values: FormValues = {}
  for (const arg of cmd.args) {
    let v = defaultToField(arg)
    const fill = autoFill(arg, ctx)
    if (fill !== null) v = arg.isList ? [fill] : fill
    values[arg.name] = v
  }
  return values
}

/** Parse `[section]key=value` / `key=value` into the object Cylc expects. */
export function parseSetting(text: string): Record<string, unknown> {
  if (isJsonObject(text)) return JSON.parse(text)
  const eq = text.indexOf('=')
  const key = text.slice(0, eq).trim()
  const value = text.slice(eq + 1).trim()
  const sections = [...key.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1].trim())
  const leaf = key.replace(/\[[^\]]*\]/g, '').trim()
  const out: Record<string, unknown> = {}
  let cur = out
  for (const s of sections) cur = (cur[s] = {}) as Record<string, unknown>
  cur[leaf] = value
  return out
}

function scalarValue(arg: CommandArg, text: string): unknown {
  switch (arg.namedType) {
    case 'Int': return Number.parseInt(text, 10)
    case 'Float': return Number.parseFloat(text)
    case 'BroadcastSetting': return parseSetting(text)
  }
  return text
}

/** Convert one field to its GraphQL variable value (`undefined` = empty). */
export function fieldToValue(arg: CommandArg, v: FieldValue): unknown {
  if (arg.namedType === 'Boolean' && !arg.isList) return v === true
  if (isJsonField(arg)) {
    const text = typeof v === 'string' ? v.trim() : ''
    return text ? JSON.parse(text) : undefined
  }
  if (arg.isList) {
    const items = (Array.isArray(v) ? v : []).map((s) => s.trim()).filter(Boolean)
    return items.map((s) => scalarValue(arg, s))
  }
  const text = typeof v === 'string' ? v.trim() : ''
  return text === '' ? undefined : scalarValue(arg, text)
}

/** Validate every field; returns messages by argument name (empty = valid). */
export function validate(cmd: Command, values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const arg of cmd.args) {
    const v = values[arg.name]
    if (isJsonField(arg)) {
      const text = typeof v === 'string' ? v.trim() : ''
      if (!text) { if (arg.required) errors[arg.name] = 'Required'; continue }
      try { JSON.parse(text) } catch { errors[arg.name] = 'Must be valid JSON' }
      continue
    }
    if (arg.namedType === 'Boolean') continue
    const items = arg.isList ? (Array.isArray(v) ? v : []) : [typeof v === 'string' ? v : '']
    const filled = items.map((s) => s.trim()).filter(Boolean)
    if (arg.required && filled.length === 0) { errors[arg.name] = 'Required'; continue }
    if (arg.enumValues) {
      const bad = filled.find((s) => !arg.enumValues!.includes(s))
      if (bad) errors[arg.name] = `Must be one of ${arg.enumValues.join(', ')}`
      continue
    }
    const check = VALIDATORS[arg.namedType]
    if (!check) continue
    for (const s of filled) {
      const msg = check(s)
      if (msg) { errors[arg.name] = arg.isList ? `${s}: ${msg}` : msg; break }
    }
  }
  return errors
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * The variables to send: required arguments always; optional ones only when
 * set and different from their default, so the server applies its own
 * defaults (cylc-ui #1225).
 */
export function variablesToSend(cmd: Command, values: FormValues): Record<string, unknown> {
  const vars: Record<string, unknown> = {}
  for (const arg of cmd.args) {
    const value = fieldToValue(arg, values[arg.name] ?? null)
    if (arg.required) { vars[arg.name] = value ?? null; continue }
    if (value === undefined) continue
    const dflt = arg.defaultValue
    if (dflt !== undefined && sameValue(value, dflt)) continue
    // An unset optional list or a false flag without a default means "not given".
    if (dflt === undefined || dflt === null) {
      if (Array.isArray(value) && value.length === 0) continue
      if (value === false && arg.namedType === 'Boolean') continue
    }
    vars[arg.name] = value
  }
  return vars
}

/** `mutation hold($tasks: [NamespaceIDGlob]!, …) { hold(tasks: $tasks, …) { result } }`. */
export function mutationDocument(cmd: Command, variables: Record<string, unknown>): string {
  const used = cmd.args.filter((a) => a.name in variables)
  if (!used.length) return `mutation ${cmd.name} { ${cmd.name} { result } }`
  const defs = used.map((a) => `$${a.name}: ${a.typeString}`).join(', ')
  const args = used.map((a) => `${a.name}: $${a.name}`).join(', ')
  return `mutation ${cmd.name}(${defs}) { ${cmd.name}(${args}) { result } }`
}
