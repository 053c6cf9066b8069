/** User preferences, kept in localStorage and applied as CSS variables. */
import { reactive, watch } from 'vue'

export type Theme = 'system' | 'light' | 'dark'
export type JobTheme = 'default' | 'colour-blind'

export interface Settings {
  theme: Theme
  jobTheme: JobTheme
  /** Root font size in px. */
  fontSize: number
  cyclesNewestFirst: boolean
  reducedAnimation: boolean
}

const KEY = 'cylc-ui.settings'
const DEFAULTS: Settings = { theme: 'system', jobTheme: 'default', fontSize: 14, cyclesNewestFirst: true, reducedAnimation: false }

function load(): Settings {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) ?? '{}') }
  } catch {
    return { ...DEFAULTS }
  }
}

export const settings = reactive<Settings>(load())

function apply(): void {
  const root = document.documentElement
  const dark = settings.theme === 'dark' || (settings.theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches)
  root.dataset.theme = dark ? 'dark' : 'light'
  root.dataset.jobTheme = settings.jobTheme
  root.dataset.reducedAnimation = String(settings.reducedAnimation)
  root.style.fontSize = `${settings.fontSize}px`
}

export function initSettings(): void {
  apply()
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', apply)
  watch(settings, () => {
    localStorage.setItem(KEY, JSON.stringify(settings))
    apply()
  }, { deep: true })
}

export function resetSettings(): void {
  Object.assign(settings, DEFAULTS)
}
