/** Hash routes (web-api §2.2): the server serves one index.html for every view. */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import Dashboard from './views/Dashboard.vue'
import { profile } from './services'

const routes: RouteRecordRaw[] = [
  { path: '/', component: Dashboard },
  { path: '/workspace/:workflowName(.*)', component: () => import('./views/Workspace.vue'), props: true },
  // Reference UI deep links land in the workspace too.
  { path: '/tree/:workflowName(.*)', redirect: (to) => `/workspace/${to.params.workflowName}` },
  { path: '/table/:workflowName(.*)', redirect: (to) => `/workspace/${to.params.workflowName}` },
  { path: '/graphiql', component: () => import('./views/GraphiQLPage.vue') },
  { path: '/settings', component: () => import('./views/SettingsPage.vue') },
  { path: '/noAuth', component: () => import('./views/NoAuth.vue') },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue') },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

// Without `read` there is nothing to show (web-api §13.1).
router.beforeEach((to) => {
  const perms = profile.value?.permissions
  if (perms && !perms.map((p) => p.toLowerCase()).includes('read') && to.path !== '/noAuth') return '/noAuth'
  return true
})
