import { buildSchema, introspectionFromSchema } from 'graphql'
import { describe, expect, it } from 'vitest'
import { commandsFromSchema, parseDefault, parseValidStates, type Command } from '../src/commands/schema'
import { appliesTo, isPermitted, menuFor } from '../src/commands/validity'
import { initialValues, mutationDocument, validate, variablesToSend, parseSetting } from '../src/commands/forms'
import { interpretResult } from '../src/commands/results'
import { describeMutation } from '../src/mock/descriptions'
import sdl from '../src/mock/schema.graphql?raw'

// The real reference schema, with the "Valid for" descriptions a server adds.
function loadCommands(): Command[] {
  const schema = buildSchema(sdl)
  for (const f of Object.values(schema.getMutationType()!.getFields())) f.description = describeMutation(f.name)
  return commandsFromSchema(introspectionFromSchema(schema).__schema)
}
const commands = loadCommands()
const cmd = (name: string) => commands.find((c) => c.name === name)!
const OWNER_PERMS = ['broadcast', 'clean', 'extTrigger', 'hold', 'kill', 'message', 'pause', 'play', 'poll', 'read', 'release',
  'releaseHoldPoint', 'reload', 'remove', 'resume', 'scan', 'set', 'setGraphWindowExtent', 'setHoldPoint', 'setVerbosity', 'stop', 'trigger']

describe('introspection', () => {
  it('reads every mutation with its states and typed args', () => {
    expect(commands.length).toBe(21)
    expect(cmd('pause').validStates).toEqual(['running'])
    expect(cmd('kill').validStates).toEqual(['paused', 'running', 'stopping'])
    expect(cmd('hold').short).toBe('Hold tasks within a workflow.')
    const tasks = cmd('hold').args.find((a) => a.name === 'tasks')!
    expect(tasks).toMatchObject({ typeString: '[NamespaceIDGlob]!', namedType: 'NamespaceIDGlob', required: true, isList: true })
    const mode = cmd('broadcast').args.find((a) => a.name === 'mode')!
    expect(mode.defaultValue).toBe('Set')
    expect(mode.enumValues).toEqual(['Set', 'Clear', 'Expire'])
    expect(cmd('broadcast').args.find((a) => a.name === 'cyclePoints')!.defaultValue).toEqual(['*'])
  })
  it('parses "Valid for" and defaults', () => {
    expect(parseValidStates('Do it.\n\nValid for: paused,  running workflows.')).toEqual(['paused', 'running'])
    expect(parseValidStates('No sentence.')).toBeNull()
    expect(parseDefault('["root"]')).toEqual(['root'])
    expect(parseDefault('false')).toBe(false)
    expect(parseDefault('Clean')).toBe('Clean')
    expect(parseDefault('[Set, Clear]')).toEqual(['Set', 'Clear'])
    expect(parseDefault(null)).toBeUndefined()
  })
})

describe('command validity', () => {
  const names = (type: any, status: string, perms: string[] | null = OWNER_PERMS) =>
    menuFor(commands, type, status, perms).filter((i) => i.enabled).map((i) => i.command.name)

  it('lists node-appropriate commands', () => {
    expect(appliesTo(cmd('hold'), 'task')).toBe(true)
    expect(appliesTo(cmd('hold'), 'workflow')).toBe(false)
    expect(appliesTo(cmd('pause'), 'task')).toBe(false)
    expect(appliesTo(cmd('stop'), 'workflow')).toBe(true)
    expect(appliesTo(cmd('kill'), 'job')).toBe(true)
    expect(appliesTo(cmd('broadcast'), 'cycle')).toBe(true)
  })
  it('enables by workflow status', () => {
    expect(names('workflow', 'stopped')).toEqual(expect.arrayContaining(['play', 'clean', 'scan']))
    expect(names('workflow', 'stopped')).not.toContain('pause')
    expect(names('workflow', 'running')).toContain('pause')
    expect(names('workflow', 'running')).not.toContain('resume')
    expect(names('workflow', 'paused')).toContain('resume')
    expect(names('task', 'stopping')).toEqual(expect.arrayContaining(['kill', 'poll', 'remove', 'set']))
    expect(names('task', 'stopping')).not.toContain('trigger')
  })
  it('disables without permission and explains why', () => {
    const items = menuFor(commands, 'task', 'running', ['read', 'hold'])
    expect(items.filter((i) => i.enabled).map((i) => i.command.name)).toEqual(['hold'])
    expect(items.find((i) => i.command.name === 'kill')!.reason).toMatch(/permission/)
    expect(isPermitted('editRuntime', ['broadcast'])).toBe(true)
    expect(isPermitted('Trigger', ['trigger'])).toBe(true)
  })
  it('puts primary commands first', () => {
    const items = menuFor(commands, 'task', 'running', OWNER_PERMS)
    expect(items.slice(0, 5).map((i) => i.command.name)).toEqual(['trigger', 'hold', 'release', 'kill', 'set'])
  })
})

describe('command forms', () => {
  const WF = '~alice/demo'
  it('fills workflows and tasks from the node', () => {
    expect(initialValues(cmd('hold'), { type: 'task', id: `${WF}//1/foo` })).toEqual({ tasks: ['1/foo'], workflows: [WF] })
    expect(initialValues(cmd('hold'), { type: 'cycle', id: `${WF}//20250101T00` }).tasks).toEqual(['20250101T00'])
    expect(initialValues(cmd('kill'), { type: 'job', id: `${WF}//1/foo/02` }).tasks).toEqual(['1/foo'])
    const b = initialValues(cmd('broadcast'), { type: 'family', id: `${WF}//3/FAM` })
    expect(b).toMatchObject({ cyclePoints: ['3'], namespaces: ['FAM'], mode: 'Set', settings: [] })
  })
  it('sends only args that differ from defaults', () => {
    const c = cmd('trigger')
    const v = initialValues(c, { type: 'task', id: `${WF}//1/foo` })
    expect(variablesToSend(c, v)).toEqual({ tasks: ['1/foo'], workflows: [WF] })
    expect(variablesToSend(c, { ...v, flowWait: true, flow: ['2'] })).toEqual({ tasks: ['1/foo'], workflows: [WF], flowWait: true, flow: ['2'] })
    const stop = cmd('stop')
    const sv = initialValues(stop, { type: 'workflow', id: WF })
    expect(variablesToSend(stop, sv)).toEqual({ workflows: [WF] })
    expect(variablesToSend(stop, { ...sv, mode: 'Now', flowNum: '3' })).toEqual({ workflows: [WF], mode: 'Now', flowNum: 3 })
    expect(mutationDocument(stop, { workflows: [WF], mode: 'Now' }))
      .toBe('mutation stop($mode: WorkflowStopMode, $workflows: [WorkflowID]!) { stop(mode: $mode, workflows: $workflows) { result } }')
  })
  it('converts broadcast settings', () => {
    expect(parseSetting('[environment]FOO = bar')).toEqual({ environment: { FOO: 'bar' } })
    expect(parseSetting('script=true')).toEqual({ script: 'true' })
    const c = cmd('broadcast')
    const v = { ...initialValues(c, { type: 'task', id: `${WF}//1/foo` }), settings: ['[environment]X=1'] }
    expect(variablesToSend(c, v)).toEqual({ cyclePoints: ['1'], mode: 'Set', namespaces: ['foo'], settings: [{ environment: { X: '1' } }], workflows: [WF] })
  })
  it('validates by type', () => {
    expect(validate(cmd('hold'), { tasks: [], workflows: [WF] })).toEqual({ tasks: 'Required' })
    expect(validate(cmd('hold'), { tasks: ['1/foo:running', '2'], workflows: [WF] })).toEqual({})
    expect(validate(cmd('hold'), { tasks: ['a/b/c'], workflows: [WF] }).tasks).toMatch(/cycle/)
    expect(validate(cmd('setGraphWindowExtent'), { nEdgeDistance: '1.5', workflows: [WF] }).nEdgeDistance).toMatch(/whole/)
    expect(validate(cmd('stop'), { mode: 'Bogus', workflows: [WF] }).mode).toMatch(/one of/)
    expect(validate(cmd('message'), { taskJob: '1/a/01', messages: '[["INFO", "hi"]', workflows: [WF] }).messages).toMatch(/JSON/)
  })
})

describe('interpretResult', () => {
  it('handles the result shapes of §11.3/§11.4', () => {
    expect(interpretResult('play', { data: { play: { result: [true, 'Workflow(s) started'] } } })).toEqual({ ok: true, message: 'Workflow(s) started' })
    const fwd = { data: { hold: { result: [{ hold: { result: [{ id: 'x', response: [true, 'uuid'] }] } }] } } }
    expect(interpretResult('hold', fwd)).toEqual({ ok: true, message: 'Command(s) submitted' })
    const none = { data: { hold: { result: [{ response: [false, 'No matching workflows'] }] } } }
    expect(interpretResult('hold', none)).toEqual({ ok: false, message: 'Command failed: hold - No matching workflows' })
    expect(interpretResult('hold', { data: { hold: null }, errors: [{ message: 'HTTP 403: Forbidden' }] }))
      .toEqual({ ok: false, message: 'Command failed: hold - HTTP 403: Forbidden' })
  })
})
