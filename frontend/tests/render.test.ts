// @vitest-environment happy-dom
/**
 * Rendering contract of the virtualised views: an update re-renders only the
 * rows whose node changed, and only visible rows are mounted.
 */
import { describe, expect, it, beforeAll } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { nextTick } from 'vue'
import TreeView from '../src/views/TreeView.vue'
import TableView from '../src/views/TableView.vue'
import { data, initServices } from '../src/services'
import { ConnectionState, type Backend } from '../src/transport/backend'
import { WF, burst, task } from './helpers'

const backend: Backend = {
  connected: new ConnectionState().connected,
  onReconnect: () => () => {},
  subscribe: () => () => {},
  request: async () => ({}),
  getJson: async () => ({ username: 'alice', owner: 'alice', permissions: ['read'] }),
}

beforeAll(async () => {
  if (!('ResizeObserver' in globalThis)) {
    ;(globalThis as any).ResizeObserver = class { observe() {} disconnect() {} }
  }
  await initServices(backend, null)
})

/** Counts updates per component name through a global mixin. */
function renderCounter() {
  const counts = new Map<string, number>()
  const mixin = {
    updated(this: any) {
      const name = this.$options.__name ?? this.$options.name
      counts.set(name, (counts.get(name) ?? 0) + 1)
    },
  }
  return { counts, mixin }
}

function load(n: number) {
  const tasks = Array.from({ length: n }, (_, i) => task('1', `t${String(i).padStart(5, '0')}`))
  data.store.wipe(WF)
  data.store.applyFrames([burst({ taskProxies: tasks })])
  data.tick.value = data.store.tick
}

function update(ids: string[]) {
  data.store.applyFrames([{ id: WF, updated: { taskProxies: ids.map((id) => ({ id: `${WF}//1/${id}`, state: 'running' })) } }])
  data.tick.value = data.store.tick
}

describe('TreeView rendering', () => {
  it('mounts only visible rows and re-renders only changed ones', async () => {
    load(5000)
    const { counts, mixin } = renderCounter()
    const w = mount(TreeView, { props: { workflowId: WF }, global: { mixins: [mixin] }, attachTo: document.body })
    await flushPromises()
    const rows = w.findAll('.row.task')
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.length).toBeLessThan(100)
    counts.clear()
    update(['t00001', 't00002'])
    await nextTick()
    await flushPromises()
    // The two task rows, plus their cycle row whose summary changed.
    expect(counts.get('TreeRow')).toBe(3)
    expect(w.text()).toContain('running')
    w.unmount()
  })
})

describe('TableView rendering', () => {
  it('re-renders only the changed row', async () => {
    load(3000)
    const { counts, mixin } = renderCounter()
    const w = mount(TableView, { props: { workflowId: WF }, global: { mixins: [mixin] }, attachTo: document.body })
    await flushPromises()
    const rows = w.findAll('.trow')
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.length).toBeLessThan(100)
    counts.clear()
    // Sorted by cycle point (all equal) then name: t00000 is the first row.
    update(['t00000'])
    await nextTick()
    await flushPromises()
    expect(counts.get('TableRow')).toBe(1)
    expect(w.find('.trow').text()).toContain('running')
    w.unmount()
  })
})
