/**
 * fnmatch-style globs (`*`, `?`, `[abc]`, `[!abc]`), as Cylc uses for IDs.
 * A pattern without any glob character is a case-insensitive substring
 * search, because that is what people expect from a filter box.
 */
export type Matcher = (text: string) => boolean

const GLOB_CHARS = /[*?[]/

export function compileGlob(pattern: string): Matcher {
  const p = pattern.trim()
  if (!p) return () => true
  if (!GLOB_CHARS.test(p)) {
    const needle = p.toLowerCase()
    return (text) => text.toLowerCase().includes(needle)
  }
  let re = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      const end = p.indexOf(']', i + 2)
      if (end === -1) { re += '\\['; continue }
      let body = p.slice(i + 1, end)
      if (body.startsWith('!')) body = '^' + body.slice(1)
      re += '[' + body.replace(/\\/g, '\\\\') + ']'
      i = end
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&')
  }
  const rx = new RegExp('^' + re + '$', 'i')
  return (text) => rx.test(text)
}
