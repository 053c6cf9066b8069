/**
 * The real transport: Apollo Client for HTTP queries and mutations, one
 * graphql-ws (graphql-transport-ws protocol) socket per tab for subscriptions.
 */
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core'
import { createClient, type Client } from 'graphql-ws'
import { ConnectionState, type Backend, type ExecutionResult, type Sink } from './backend'
import { httpUrl, wsUrl, xsrfHeaders } from './urls'

/** Keep-alive ping interval; a missing pong within this time drops the socket. */
const PING_MS = 10_000
const PONG_TIMEOUT_MS = 5_000
/** Backoff between reconnects, capped so a restarted server is found quickly. */
const MAX_BACKOFF_MS = 10_000

function backoff(retries: number): Promise<void> {
  const ms = Math.min(MAX_BACKOFF_MS, 500 * 2 ** retries) * (0.75 + Math.random() * 0.5)
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function createLiveBackend(): Backend {
  const state = new ConnectionState()
  const apollo = new ApolloClient({
    link: new HttpLink({
      uri: () => httpUrl('graphql'),
      // Read the cookie per request: it may be set after the app loaded.
      fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as any), ...xsrfHeaders() } }),
    }),
    cache: new InMemoryCache(),
    defaultOptions: {
      query: { fetchPolicy: 'no-cache', errorPolicy: 'all' },
      mutate: { fetchPolicy: 'no-cache', errorPolicy: 'all' },
    },
  })

  let pongTimer: ReturnType<typeof setTimeout> | undefined
  const ws: Client = createClient({
    url: () => wsUrl('subscriptions'),
    lazy: true,
    lazyCloseTimeout: 3_000,
    keepAlive: PING_MS,
    // A socket that opens but never acknowledges is retried rather than trusted.
    connectionAckWaitTimeout: 10_000,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryWait: backoff,
    // Retry on every close: a proxy restart may close with any code.
    shouldRetry: () => true,
    on: {
      connected: () => state.up(),
      closed: () => { clearTimeout(pongTimer); state.down() },
      ping: (received) => {
        if (received) return
        // We sent a ping: no pong in time means a half-open socket; close it to reconnect.
        pongTimer = setTimeout(() => ws.terminate(), PONG_TIMEOUT_MS)
      },
      pong: (received) => { if (received) clearTimeout(pongTimer) },
    },
  })

  return {
    connected: state.connected,
    onReconnect: (cb) => state.onReconnect(cb),
    subscribe(query: string, variables, sink: Sink) {
      return ws.subscribe({ query, variables }, {
        next: (r) => sink.next(r as ExecutionResult),
        error: (e) => sink.error(e),
        complete: () => sink.complete(),
      })
    },
    async request(query, variables) {
      const document = gql(query)
      const isMutation = /^\s*mutation\b/.test(query)
      try {
        const r = isMutation
          ? await apollo.mutate({ mutation: document, variables })
          : await apollo.query({ query: document, variables })
        return { data: r.data ?? undefined, errors: (r.errors as any) ?? undefined }
      } catch (e: any) {
        const errs = e?.graphQLErrors?.length ? e.graphQLErrors : [{ message: e?.networkError?.result?.errors?.[0]?.message ?? e?.message ?? String(e) }]
        return { errors: errs }
      }
    },
    async getJson(endpoint) {
      const r = await fetch(httpUrl(endpoint), { headers: xsrfHeaders(), credentials: 'same-origin' })
      if (!r.ok) throw new Error(`${endpoint}: HTTP ${r.status}`)
      return r.json()
    },
  }
}
