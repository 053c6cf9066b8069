/** Small builders for frames, so tests read like the protocol. */
import type { DeltasFrame } from '../src/store/types'

export const WF = '~alice/demo'

export function fam(cycle: string, name: string, parent?: string, extra: Record<string, unknown> = {}) {
  return {
    id: `${WF}//${cycle}/${name}`, name, cyclePoint: cycle, state: 'waiting',
    ...(parent ? { firstParent: { id: `${WF}//${cycle}/${parent}` } } : {}), ...extra,
  }
}

export function task(cycle: string, name: string, parent = 'root', extra: Record<string, unknown> = {}) {
  return {
    id: `${WF}//${cycle}/${name}`, name, cyclePoint: cycle, state: 'waiting',
    firstParent: { id: `${WF}//${cycle}/${parent}` }, ...extra,
  }
}

export function job(cycle: string, name: string, num: number, extra: Record<string, unknown> = {}) {
  return { id: `${WF}//${cycle}/${name}/${String(num).padStart(2, '0')}`, submitNum: num, state: 'submitted', ...extra }
}

export function burst(extra: Partial<NonNullable<DeltasFrame['added']>> = {}): DeltasFrame {
  return { id: WF, added: { workflow: { id: WF, status: 'running', reloaded: true }, ...extra } }
}
