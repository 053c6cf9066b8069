/**
 * App-wide singletons: the backend, the data service, the command list from
 * introspection, the user profile and the notifications. Set up once by
 * `main.ts` before the app mounts.
 */
import { shallowRef } from 'vue'
import type { Backend, UserProfile } from './transport/backend'
import { DataService } from './store/service'
import { commandsFromSchema, type Command } from './commands/schema'
import { INTROSPECTION_COMMANDS } from './transport/documents'

export let backend: Backend
export let data: DataService
export const commands = shallowRef<Command[]>([])
export const profile = shallowRef<UserProfile | null>(null)
export const serverVersion = shallowRef<Record<string, string> | null>(null)
export const mockMode = shallowRef<string | null>(null)

export interface Notice { id: number; ok: boolean; text: string }
export const notices = shallowRef<Notice[]>([])
let noticeId = 0

/** Show a message for a few seconds (errors stay until dismissed). */
export function notify(ok: boolean, text: string): void {
  const n = { id: ++noticeId, ok, text }
  notices.value = [...notices.value.slice(-3), n]
  if (ok) setTimeout(() => dismiss(n.id), 5000)
}

export function dismiss(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id)
}

/** Introspection, retried with backoff until the server answers (web-api §6.3). */
async function loadCommands(attempt = 0): Promise<void> {
  const r = await backend.request(INTROSPECTION_COMMANDS)
  if (r.data?.__schema) {
    commands.value = commandsFromSchema(r.data.__schema)
    return
  }
  setTimeout(() => void loadCommands(attempt + 1), Math.min(30_000, 2000 * 2 ** attempt))
}

export async function initServices(b: Backend, mock: string | null): Promise<void> {
  backend = b
  mockMode.value = mock
  data = new DataService(b)
  void loadCommands()
  backend.getJson('version').then((v) => { serverVersion.value = v }, () => {})
  try {
    profile.value = await backend.getJson('userprofile')
  } catch (e) {
    notify(false, `Could not load the user profile: ${(e as Error).message}`)
  }
}

/** `~owner/name` for a workflow name in a route. */
export function workflowIdOf(name: string): string {
  return `~${profile.value?.owner ?? profile.value?.username ?? 'unknown'}/${name}`
}
