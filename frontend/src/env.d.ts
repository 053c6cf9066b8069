/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, any>
  export default component
}
declare module '*?raw' {
  const content: string
  export default content
}
// React is only used to host GraphiQL (one createElement call); its full
// typings would be a dependency for nothing.
declare module 'react' {
  export function createElement(type: unknown, props?: Record<string, unknown> | null): unknown
}
declare module 'react-dom/client' {
  export interface Root { render(node: unknown): void; unmount(): void }
  export function createRoot(el: Element): Root
}
