/**
 * Endpoint URLs derived from the page (web-api §2.1): the page's origin and
 * path are the app's mount point because routing lives in the hash, so the
 * same build works under /cylc/ and /user/<name>/cylc/.
 */

/** `https://host/user/bob/cylc/` for a page at that path (any file name dropped). */
export function mountUrl(loc: Pick<Location, 'protocol' | 'host' | 'pathname'> = window.location): string {
  let path = loc.pathname.replace(/\/{2,}/g, '/')
  if (!path.endsWith('/')) path = path.slice(0, path.lastIndexOf('/') + 1)
  return `${loc.protocol}//${loc.host}${path}`
}

/** An HTTP endpoint below the mount point, e.g. `graphql`, `userprofile`. */
export function httpUrl(endpoint: string, loc?: Pick<Location, 'protocol' | 'host' | 'pathname'>): string {
  return mountUrl(loc) + endpoint
}

/** The websocket URL: same path, `ws:` / `wss:`. */
export function wsUrl(endpoint: string, loc?: Pick<Location, 'protocol' | 'host' | 'pathname'>): string {
  return httpUrl(endpoint, loc).replace(/^http/, 'ws')
}

/** The `_xsrf` cookie's value (last match wins, as the reference UI does). */
export function xsrfToken(cookie: string = document.cookie): string | undefined {
  const all = [...cookie.matchAll(/(?:^|;\s*)_xsrf=([^;]*)/g)]
  return all.length ? decodeURIComponent(all[all.length - 1][1]) : undefined
}

/** Headers every HTTP request carries (JupyterHub 4.1+ checks XSRF on GETs too). */
export function xsrfHeaders(): Record<string, string> {
  const token = xsrfToken()
  return token ? { 'X-XSRFToken': token } : {}
}

/**
 * Drop `?token=…` from the first URL (the server has set its cookie by now)
 * and move any other query parameters after the hash for the router.
 */
export function cleanTokenFromUrl(loc: Location = window.location, history: History = window.history): void {
  if (!loc.search) return
  const params = new URLSearchParams(loc.search)
  params.delete('token')
  const rest = params.toString()
  let hash = loc.hash || '#/'
  if (rest) hash += (hash.includes('?') ? '&' : '?') + rest
  history.replaceState(history.state, '', loc.pathname + hash)
}
