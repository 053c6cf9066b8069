/** Interpreting a mutation's `result` and errors (web-api §11.4). */

export interface Outcome {
  ok: boolean
  message: string
}

function isPair(x: unknown): x is [boolean, unknown] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'boolean'
}

/** Turn an HTTP GraphQL response for mutation `name` into one outcome. */
export function interpretResult(name: string, response: { data?: any; errors?: Array<{ message: string }> }): Outcome {
  if (response.errors?.length) {
    return { ok: false, message: `Command failed: ${name} - ${response.errors.map((e) => e.message).join('; ')}` }
  }
  const result = response.data?.[name]?.result
  if (isPair(result)) {
    return { ok: result[0], message: String(result[1] ?? (result[0] ? 'Command submitted' : 'Command failed')) }
  }
  if (Array.isArray(result)) {
    const failures: string[] = []
    for (const r of result) {
      const inner = r?.[name]?.result?.[0]?.response ?? r?.response
      if (isPair(inner) && inner[0] === false) failures.push(String(inner[1]))
    }
    if (failures.length) return { ok: false, message: `Command failed: ${name} - ${failures.join('; ')}` }
    return { ok: true, message: 'Command(s) submitted' }
  }
  // Unexpected shapes are logged and treated as success, like the reference UI.
  console.warn('Unexpected mutation result', name, result)
  return { ok: true, message: 'Command(s) submitted' }
}
