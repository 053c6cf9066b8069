/**
 * GraphiQL is a React app: it is mounted into a plain element and loaded
 * only when the GraphiQL route opens, so React never reaches the main bundle.
 */
import { createElement } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { GraphiQL } from 'graphiql'
import 'graphiql/graphiql.css'
import { backend, mockMode } from '../services'
import { httpUrl, xsrfHeaders } from '../transport/urls'

type Params = { query: string; variables?: Record<string, unknown> | null; operationName?: string | null }

const SUBSCRIPTION = /^\s*(#[^\n]*\n\s*)*subscription\b/

/** HTTP POST for queries and mutations, the shared websocket for subscriptions. */
function fetcher(params: Params): any {
  if (SUBSCRIPTION.test(params.query)) {
    return {
      subscribe(observer: { next: (v: unknown) => void; error: (e: unknown) => void; complete: () => void }) {
        const stop = backend.subscribe(params.query, params.variables ?? undefined, observer)
        return { unsubscribe: stop }
      },
    }
  }
  if (mockMode.value) return backend.request(params.query, params.variables ?? undefined)
  return fetch(httpUrl('graphql'), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...xsrfHeaders() },
    body: JSON.stringify(params),
  }).then((r) => r.json())
}

const DEFAULT_QUERY = `# Queries and mutations: HTTP POST.
# Subscriptions: the UI's websocket.
query {
  workflows {
    id
    status
    stateTotals
  }
}
`

export function mountGraphiQL(el: HTMLElement, dark: boolean): () => void {
  const root: Root = createRoot(el)
  root.render(createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: false,
    forcedTheme: dark ? 'dark' : 'light',
    isHeadersEditorEnabled: false,
  } as any))
  return () => root.unmount()
}
