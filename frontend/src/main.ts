/** Entry point: settings, the backend (live or mock), services, then the app. */
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { data, initServices } from './services'
import { initSettings } from './settings'
import { cleanTokenFromUrl } from './transport/urls'
import { createLiveBackend } from './transport/live'
import type { Backend } from './transport/backend'
import './styles.css'

async function start(): Promise<void> {
  // `?mock=1` (or `?mock=<tasks>`) switches to offline demo data for this tab.
  const params = new URLSearchParams(location.search)
  const mockParam = params.get('mock')
  if (mockParam !== null) {
    sessionStorage.setItem('cylc-ui.mock', mockParam)
    params.delete('mock')
    history.replaceState(null, '', location.pathname + (params.toString() ? `?${params}` : '') + location.hash)
  }
  cleanTokenFromUrl()
  initSettings()
  const mock = sessionStorage.getItem('cylc-ui.mock')
  let backend: Backend
  if (mock !== null) {
    const { createMockBackend } = await import('./mock/mock')
    const tasks = Number(mock) > 1 ? Number(mock) : 0
    backend = createMockBackend({ tasks, intervalMs: tasks ? 100 : 1500, updatesPerFrame: tasks ? 50 : 3 })
  } else {
    backend = createLiveBackend()
  }
  await initServices(backend, mock)
  const app = createApp(App)
  app.use(router)
  app.mount('#app')
  // For the benchmark and tests: how many batches the store has applied.
  ;(window as any).__cylc = { ready: true, ticks: () => data.tick.value }
}

void start()
