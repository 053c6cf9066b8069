import { describe, expect, it, vi } from 'vitest'
import { DataService, STALE_AFTER_RECONNECT_MS } from '../src/store/service'
import { ConnectionState, type Backend, type Sink } from '../src/transport/backend'
import { cleanTokenFromUrl, mountUrl, wsUrl, xsrfToken, httpUrl } from '../src/transport/urls'
import { WF, burst, task } from './helpers'

/** A backend that records subscriptions and lets the test push frames. */
function fakeBackend() {
  const state = new ConnectionState()
  const subs: Array<{ query: string; variables: any; sink: Sink; stopped: boolean }> = []
  const backend: Backend = {
    connected: state.connected,
    onReconnect: (cb) => state.onReconnect(cb),
    subscribe(query, variables, sink) {
      const s = { query, variables, sink, stopped: false }
      subs.push(s)
      return () => { s.stopped = true }
    },
    request: async () => ({}),
    getJson: async () => ({}),
  }
  return { backend, subs, state }
}

describe('DataService', () => {
  it('shares one Workflow subscription per workflow and one App subscription', () => {
    const { backend, subs } = fakeBackend()
    const runs: Array<() => void> = []
    const svc = new DataService(backend, (r) => runs.push(r))
    const a1 = svc.acquireApp(), a2 = svc.acquireApp()
    const w1 = svc.acquireWorkflow(WF), w2 = svc.acquireWorkflow(WF)
    expect(subs.map((s) => s.query.match(/subscription (\w+)/)![1])).toEqual(['App', 'Workflow'])
    expect(subs[1].variables).toEqual({ workflowId: WF })
    w1.release()
    w1.release() // releasing twice is harmless
    expect(subs[1].stopped).toBe(false)
    subs[1].sink.next({ data: { deltas: burst({ taskProxies: [task('1', 'a')] }) } })
    runs.splice(0).forEach((r) => r())
    expect(svc.store.lookup.has(`${WF}//1/a`)).toBe(true)
    w2.release()
    expect(subs[1].stopped).toBe(true)
    // The workflow's children go when nobody watches; the workflow stays for the sidebar.
    expect(svc.store.lookup.has(`${WF}//1/a`)).toBe(false)
    expect(svc.store.workflows.has(WF)).toBe(true)
    a1.release(); a2.release()
    expect(subs[0].stopped).toBe(true)
  })

  it('wipes open workflows before the first frame after a reconnect', () => {
    const { backend, subs, state } = fakeBackend()
    const runs: Array<() => void> = []
    const svc = new DataService(backend, (r) => runs.push(r))
    state.up()
    svc.acquireWorkflow(WF)
    subs[0].sink.next({ data: { deltas: burst({ taskProxies: [task('1', 'a'), task('1', 'stale')] }) } })
    runs.splice(0).forEach((r) => r())
    state.down()
    state.up()
    // The server's new burst, without reloaded (an older server): the stale task still goes.
    subs[0].sink.next({ data: { deltas: { id: WF, added: { workflow: { id: WF }, taskProxies: [task('1', 'a')] } } } })
    runs.splice(0).forEach((r) => r())
    expect(svc.store.lookup.has(`${WF}//1/stale`)).toBe(false)
    expect(svc.store.lookup.has(`${WF}//1/a`)).toBe(true)
    expect(svc.tick.value).toBeGreaterThan(0)
  })

  it('reports subscription errors', () => {
    const { backend, subs } = fakeBackend()
    const svc = new DataService(backend, (r) => r())
    svc.acquireApp()
    subs[0].sink.error([{ message: 'Cannot query field "x"' }])
    expect(svc.lastError.value).toMatch(/Cannot query field/)
  })
})

describe('DataService restarts', () => {
  it('resubscribes with backoff after an error or a server complete, not after release', () => {
    vi.useFakeTimers()
    try {
      const { backend, subs } = fakeBackend()
      const svc = new DataService(backend, (r) => r())
      const h = svc.acquireWorkflow(WF)
      subs[0].sink.next({ data: { deltas: burst({ taskProxies: [task('1', 'a')] }) } })
      expect(svc.synced.value.has(WF)).toBe(true)
      subs[0].sink.error({ code: 4500, reason: 'Internal server error' })
      expect(svc.synced.value.has(WF)).toBe(false)
      expect(subs.length).toBe(1)
      vi.advanceTimersByTime(1000)
      expect(subs.length).toBe(2)
      expect(subs[1].variables).toEqual({ workflowId: WF })
      // The restarted subscription starts from scratch.
      subs[1].sink.next({ data: { deltas: { id: WF, added: { taskProxies: [task('1', 'b')] } } } })
      expect(svc.store.lookup.has(`${WF}//1/a`)).toBe(false)
      expect(svc.store.lookup.has(`${WF}//1/b`)).toBe(true)
      subs[1].sink.complete()
      vi.advanceTimersByTime(1000)
      expect(subs.length).toBe(3)
      // Errors in a row back off: 1 s, 2 s, ...
      subs[2].sink.error([{ message: 'boom' }])
      vi.advanceTimersByTime(1000)
      expect(subs.length).toBe(3)
      vi.advanceTimersByTime(1000)
      expect(subs.length).toBe(4)
      h.release()
      expect(subs[3].stopped).toBe(true)
      subs[3].sink.error([{ message: 'late' }])
      vi.advanceTimersByTime(60_000)
      expect(subs.length).toBe(4)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('DataService after a reconnect', () => {
  it('drops sidebar workflows the new App burst does not mention', () => {
    vi.useFakeTimers()
    try {
      const { backend, subs, state } = fakeBackend()
      const svc = new DataService(backend, (r) => r())
      state.up()
      svc.acquireApp()
      const wf = (id: string) => ({ data: { deltas: { id, added: { workflow: { id, status: 'running' } } } } })
      subs[0].sink.next(wf('~a/keep'))
      subs[0].sink.next(wf('~a/gone'))
      state.down()
      state.up()
      subs[0].sink.next(wf('~a/keep'))
      vi.advanceTimersByTime(STALE_AFTER_RECONNECT_MS - 1)
      expect(svc.store.workflows.has('~a/gone')).toBe(true)
      vi.advanceTimersByTime(1)
      expect([...svc.store.workflows.keys()]).toEqual(['~a/keep'])
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('urls', () => {
  const loc = (pathname: string, protocol = 'https:') => ({ protocol, host: 'hub.example:8000', pathname })
  it('derives endpoints from the page', () => {
    expect(mountUrl(loc('/user/bob/cylc/'))).toBe('https://hub.example:8000/user/bob/cylc/')
    expect(mountUrl(loc('//cylc//index.html'))).toBe('https://hub.example:8000/cylc/')
    expect(httpUrl('graphql', loc('/cylc/'))).toBe('https://hub.example:8000/cylc/graphql')
    expect(wsUrl('subscriptions', loc('/cylc/'))).toBe('wss://hub.example:8000/cylc/subscriptions')
    expect(wsUrl('subscriptions', loc('/cylc/', 'http:'))).toBe('ws://hub.example:8000/cylc/subscriptions')
  })
  it('reads the last _xsrf cookie', () => {
    expect(xsrfToken('a=1; _xsrf=one; b=2; _xsrf=2%7Ctwo')).toBe('2|two')
    expect(xsrfToken('a=1')).toBeUndefined()
    expect(xsrfToken('not_xsrf=1')).toBeUndefined()
  })
  it('drops ?token and moves other parameters after the hash', () => {
    const calls: string[] = []
    const history = { state: null, replaceState: (_s: unknown, _t: string, url: string) => calls.push(url) } as unknown as History
    cleanTokenFromUrl({ search: '?token=abc&x=1', pathname: '/user/bob/cylc/', hash: '#/workspace/a/b' } as Location, history)
    cleanTokenFromUrl({ search: '?token=abc', pathname: '/cylc/', hash: '' } as Location, history)
    cleanTokenFromUrl({ search: '', pathname: '/cylc/', hash: '#/' } as Location, history)
    expect(calls).toEqual(['/user/bob/cylc/#/workspace/a/b?x=1', '/cylc/#/'])
  })
})
