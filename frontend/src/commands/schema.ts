/**
 * Commands read from schema introspection: every mutation with its
 * description, "Valid for" workflow states and typed arguments (web-api §5).
 */

/** An introspection TypeRef (`kind`, `name`, `ofType`). */
export interface TypeRef {
  kind: string
  name?: string | null
  ofType?: TypeRef | null
}

export interface CommandArg {
  name: string
  description: string
  type: TypeRef
  /** GraphQL type as written in a variable definition, e.g. `[NamespaceIDGlob]!`. */
  typeString: string
  /** The innermost named type, e.g. `NamespaceIDGlob`. */
  namedType: string
  required: boolean
  isList: boolean
  /** Parsed `defaultValue`, `undefined` when there is none. */
  defaultValue: unknown
  /** Enum values when the named type is an enum. */
  enumValues?: string[]
}

export interface Command {
  name: string
  /** First paragraph of the description. */
  short: string
  /** The rest of the description (Markdown). */
  help: string
  /** Workflow statuses the command is valid for; `null` = all. */
  validStates: string[] | null
  args: CommandArg[]
}

const VALID_FOR = /Valid\sfor:\s(.*)\sworkflows\./

/** `Valid for: paused, running workflows.` → `['paused', 'running']`. */
export function parseValidStates(description: string | null | undefined): string[] | null {
  const m = description ? VALID_FOR.exec(description) : null
  if (!m) return null
  return m[1].split(',').map((s) => s.replace(/\s+/g, '')).filter(Boolean)
}

/** Print a TypeRef the way a variable definition needs it. */
export function typeToString(t: TypeRef): string {
  if (t.kind === 'NON_NULL') return typeToString(t.ofType!) + '!'
  if (t.kind === 'LIST') return '[' + typeToString(t.ofType!) + ']'
  return t.name ?? ''
}

export function namedTypeOf(t: TypeRef): string {
  let cur: TypeRef | null | undefined = t
  while (cur && !cur.name) cur = cur.ofType
  return cur?.name ?? ''
}

function isListType(t: TypeRef): boolean {
  const inner = t.kind === 'NON_NULL' ? t.ofType! : t
  return inner.kind === 'LIST'
}

/**
 * Parse an introspection `defaultValue`: JSON first (`["*"]`, `false`), then
 * a bare enum name (graphene 3 prints `Set`, not `"Set"`).
 */
export function parseDefault(value: string | null | undefined): unknown {
  if (value === null || value === undefined) return undefined
  try {
    return JSON.parse(value)
  } catch {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return value
    // GraphQL list literals of enums, e.g. `[Set]`, are not JSON either.
    const list = /^\[(.*)\]$/.exec(value)
    if (list) return list[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseDefault(s))
    return value
  }
}

/** Build the command list from an introspection result (`data.__schema`). */
export function commandsFromSchema(schema: any): Command[] {
  const types: any[] = schema?.types ?? []
  const byName = new Map(types.map((t) => [t.name, t]))
  // Either a full introspection (fields under `types`) or our slim query (fields on `mutationType`).
  const mutationType = schema?.mutationType?.fields ? schema.mutationType : byName.get(schema?.mutationType?.name)
  if (!mutationType) return []
  return (mutationType.fields ?? []).map((f: any): Command => {
    const description: string = f.description ?? ''
    const cut = description.indexOf('\n\n')
    return {
      name: f.name,
      short: (cut === -1 ? description : description.slice(0, cut)).trim(),
      help: cut === -1 ? '' : description.slice(cut + 2).trim(),
      validStates: parseValidStates(description),
      args: (f.args ?? []).map((a: any): CommandArg => {
        const named = namedTypeOf(a.type)
        const enumType = byName.get(named)
        return {
          name: a.name,
          description: a.description ?? '',
          type: a.type,
          typeString: typeToString(a.type),
          namedType: named,
          required: a.type.kind === 'NON_NULL',
          isList: isListType(a.type),
          defaultValue: parseDefault(a.defaultValue),
          enumValues: enumType?.kind === 'ENUM' ? enumType.enumValues.map((e: any) => e.name) : undefined,
        }
      }),
    }
  })
}
