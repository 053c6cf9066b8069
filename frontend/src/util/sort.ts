/** Natural ("human") ordering, so `task10` sorts after `task9`. */
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b)
}

/**
 * Compare two cycle points. Integer cycling compares numerically; ISO 8601
 * points of one workflow share a format, so string order is time order.
 */
export function cycleCompare(a: string, b: string): number {
  const na = Number(a)
  const nb = Number(b)
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb
  return a < b ? -1 : a > b ? 1 : 0
}
