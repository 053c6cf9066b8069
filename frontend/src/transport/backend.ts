/**
 * What the views need from the server, whatever delivers it: the real
 * HTTP + websocket transport, or the offline mock used for screenshots and
 * benchmarks.
 */
import { shallowRef, type ShallowRef } from 'vue'

export interface ExecutionResult {
  data?: any
  errors?: Array<{ message: string; path?: unknown[] }>
}

export interface Sink {
  next(result: ExecutionResult): void
  error(err: unknown): void
  complete(): void
}

export interface UserProfile {
  username: string
  owner: string
  permissions: string[]
  mode?: string
  initials?: string
  extensions?: Record<string, string>
  [k: string]: unknown
}

export interface Backend {
  /** Start a subscription; returns its stop function. */
  subscribe(query: string, variables: Record<string, unknown> | undefined, sink: Sink): () => void
  /** A query or mutation over HTTP POST. */
  request(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<ExecutionResult>
  /** GET a JSON endpoint below the mount point (`userprofile`, `version`). */
  getJson(endpoint: string): Promise<any>
  /** Whether the websocket is up. */
  readonly connected: ShallowRef<boolean>
  /** Called after the websocket reconnects (not on the first connect). */
  onReconnect(cb: () => void): () => void
}

/** A small helper for backends: connection state plus reconnect listeners. */
export class ConnectionState {
  readonly connected = shallowRef(false)
  private listeners = new Set<() => void>()
  private everConnected = false

  onReconnect(cb: () => void): () => void {
    this.listeners.add(cb)
    return () => this.listeners.delete(cb)
  }

  up(): void {
    this.connected.value = true
    if (this.everConnected) for (const cb of this.listeners) cb()
    this.everConnected = true
  }

  down(): void {
    this.connected.value = false
  }
}
