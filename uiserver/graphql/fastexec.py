"""A compiled executor for subscription documents: graphql-core's results, faster.

graphql-core repeats for every field of every object what only depends on
the document: collecting and merging the selection, looking up the field
definition, coercing arguments, building a ``GraphQLResolveInfo`` and a
``Path``, and dispatching on the return type. A burst of 8000 task proxies
resolves ~234k fields, so that bookkeeping is most of the frame's time.

:func:`compile_operation` does that work once per document (and variable
values) and generates one small Python function per (object type, merged
selection set), with the fields unrolled, their resolvers, arguments and
completion fixed, and the common leaf values (``str``, ``bool``, in-range
``int``, finite ``float``) passed through without a call. The first time a
selection meets a protobuf class it also gets a function for that class
that reads our plain protobuf fields inline, exactly as their resolver
(:func:`~uiserver.graphql.resolvers.proto_field_of`) would. Everything else
goes through the same graphql-core helpers the reference executor uses
(``serialize``, ``complete_leaf_value``, ``located_error``,
``build_response``), so data and errors are identical; the tests compare
both executors on the same frames. ``execute(..., strip_nulls=True)``
builds the data directly as :func:`~uiserver.graphql.strip.strip_nulls`
would leave graphql-core's, saving that second pass. With the context's
``encode_lists_over`` set, a longer list of objects is encoded a chunk at a
time as it resolves (graphql/encoding.py): the bytes are the same once the
result is encoded, and only a chunk's dicts are alive at once.

What is supported: queries and subscriptions (executed as graphql-core's
``execute`` executes a subscription document: one pass over the root
fields), fragments, inline fragments with type conditions, aliases, merged
overlapping selections, ``__typename``, ``@skip``/``@include`` with literal
or variable arguments, arguments with defaults and variables, lists, unions
and interfaces (``resolve_type``, else graphql-core's default type
resolver), ``is_type_of``, resolver errors (located, with their path; the
field becomes null). :func:`compile_operation` returns None, so the caller
uses graphql-core, for mutations, introspection (``__schema``, ``__type``),
fields whose type contains a non-null wrapper (null propagation is not
implemented), variable or argument values that fail coercion, and a missing
or ambiguous operation.

Assumptions, checked by the tests:

- Resolvers never read ``info.path``. One ``GraphQLResolveInfo`` is built per
  field of the document per execution and shared by every object; its
  ``path`` raises :class:`PathUnavailable`, so a resolver that starts using
  it fails loudly (and the differential tests fail) instead of seeing a
  wrong path.
- Resolvers are synchronous. If one returns an awaitable,
  :meth:`CompiledOperation.execute` closes it and raises
  :class:`NotSynchronous`; the caller then runs graphql-core, which awaits it.
- ``info.context.strip_null`` changes only in resolvers of fields whose
  subtree it governs (the ``deltas`` sections), and is read per object (the
  inline protobuf reads look at it once per object).
- The document has been validated against the schema.

Executions share no state: a compiled operation may be executed any number
of times, even re-entrantly. The only thing that grows is the per-class
specialisation, bounded per selection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import count
from keyword import iskeyword
from typing import Any, Final

from graphql import (
    DocumentNode,
    ExecutionContext,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    default_field_resolver,
    default_type_resolver,
    get_argument_values,
    is_abstract_type,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    located_error,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_variable_values
from graphql.pyutils import inspect, is_iterable

from .awaitable import is_awaitable
from .encoding import EncodedList, encode_items
from .resolvers import proto_field_kind, proto_field_of
from .strip import strip_nulls

__all__ = ["CompiledOperation", "NotSynchronous", "PathUnavailable", "compile_operation"]

_INF: Final = math.inf
_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


class NotSynchronous(Exception):
    """A resolver returned an awaitable: run the document with graphql-core instead."""


class PathUnavailable(AttributeError):
    """Raised by ``info.path``: the compiled executor shares one info per field."""


class _Unsupported(Exception):
    """The document uses something the compiler does not handle."""


class _SharedInfo(GraphQLResolveInfo):
    """A ``GraphQLResolveInfo`` shared by every object of one field; it has no path."""

    __slots__ = ()

    @property
    def path(self) -> Any:  # type: ignore[override]
        raise PathUnavailable(
            f"info.path is not available to {self.parent_type.name}.{self.field_name} "
            "under uiserver.graphql.fastexec (one info is shared by every object)"
        )


# -- runtime helpers (called from the generated code) ---------------------------

#: Classes known to be neither awaitable nor exceptions (bounded, see _check).
_PLAIN: set[type] = {dict, list, tuple, str, int, float, bool}
_GENERATOR: Final = type(x for x in ())


def _check(value: Any) -> None:
    """Raise for a value graphql-core would await or raise instead of completing."""
    if is_awaitable(value):
        raise NotSynchronous(value)
    if isinstance(value, Exception):
        raise value
    cls = value.__class__
    if cls is not _GENERATOR and len(_PLAIN) < 4096:
        _PLAIN.add(cls)


def _leaf(value: Any, return_type: Any) -> Any:
    """Complete a leaf value the fast path did not take (graphql-core's rules).

    The order matters: ``Undefined`` is an exception instance in graphql-core
    3.2, so a resolver returning it gets an error, not a null.
    """
    if is_awaitable(value):
        raise NotSynchronous(value)
    if isinstance(value, Exception):
        raise value
    if value is None:
        return None
    return ExecutionContext.complete_leaf_value(return_type, value)


def _leaf_stripped(value: Any, return_type: Any) -> Any:
    """:func:`_leaf`, then as ``strip_nulls`` treats the value: an empty container is null."""
    value = _leaf(value, return_type)
    if isinstance(value, (dict, list)):
        value = strip_nulls(value)
        if not value:
            return None
    return value


class _EnumMemo(dict):
    """Completed values of one enum type, by resolver value.

    Serialising an enum value goes through graphene's and graphql-core's
    lookups (about 6 µs, a third of a task proxy's fields' time); the result
    depends on the value alone, so each distinct value is completed once.
    Errors are not remembered, so a bad value fails every time.
    """

    __slots__ = ("type_", "complete")

    #: Most values remembered (an enum has a handful; this bounds odd resolvers).
    LIMIT: Final = 256

    def __init__(self, type_: GraphQLEnumType, complete: Callable[[Any, Any], Any]) -> None:
        super().__init__()
        self.type_ = type_
        self.complete = complete

    def __missing__(self, value: Any) -> Any:
        result = self.complete(value, self.type_)
        if len(self) < self.LIMIT:
            self[value] = result
        return result

    def __call__(self, value: Any) -> Any:
        try:
            return self[value]
        except TypeError:  # unhashable: complete it without the memo
            return self.complete(value, self.type_)


def _as_list(path: Any) -> list[str | int]:
    """A path chain ``(prev, key)`` as graphql-core's ``Path.as_list()``."""
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


def _fail(error: Exception, errors: list[GraphQLError], info: Any, path: Any) -> None:
    """Record a field (or list item) error at ``path``; the value becomes null."""
    if isinstance(error, NotSynchronous):
        raise error
    errors.append(located_error(error, info.field_nodes, _as_list(path)))
    return None


#: Items per encoded chunk of a long list: enough to amortise orjson's call,
#: few enough that one chunk's dicts are small (256 task proxies: ~0.4 MB).
#: Not Final: the tests shrink it.
ENCODE_CHUNK = 256


def _encoded_list(
    items: list[Any],
    path: Any,
    infos: tuple[Any, ...],
    errors: list[GraphQLError],
    complete: Callable[..., Any],
    index: int,
    strip: bool,
) -> list[Any]:
    """Complete the object ``items`` of a long list, encoding them
    :data:`ENCODE_CHUNK` at a time (``ResolveContext.encode_lists_over``).

    Items, nulls and errors are exactly those of the generated list
    function; only the result is an :class:`EncodedList` (or a plain list
    when everything fit in one chunk).
    """
    encoded = EncodedList()
    chunk: list[Any] = []
    append = chunk.append
    for n, x in enumerate(items):
        if x is None:
            if not strip:
                append(None)
            continue
        try:
            r = complete(x, (path, n), infos, errors)
        except Exception as e:
            r = _fail(e, errors, infos[index], (path, n))
        if r or not strip:
            append(r)
        if len(chunk) >= ENCODE_CHUNK:
            encoded.add(encode_items(chunk))
            chunk.clear()
    if not encoded:
        return chunk
    if chunk:
        encoded.add(encode_items(chunk))
    return encoded


def _not_iterable(value: Any, info: Any) -> list[Any]:
    """The list items of ``value``, or graphql-core's error for a non-iterable."""
    _check(value)
    if not is_iterable(value):
        raise GraphQLError(
            "Expected Iterable, but did not find one for field"
            f" '{info.parent_type.name}.{info.field_name}'."
        )
    return list(value)


def _runtime_type_error(
    name: Any, abstract: GraphQLAbstractType, info: Any, value: Any, schema: GraphQLSchema
) -> GraphQLError:
    """graphql-core's error for a type name that is not a possible type of ``abstract``."""
    nodes = info.field_nodes
    where = f"{info.parent_type.name}.{info.field_name}"
    if name is None:
        return GraphQLError(
            f"Abstract type '{abstract.name}' must resolve to an Object type at runtime"
            f" for field '{where}'. Either the '{abstract.name}' type should provide"
            " a 'resolve_type' function or each possible type should provide"
            " an 'is_type_of' function.",
            nodes,
        )
    if is_object_type(name):
        return GraphQLError(
            "Support for returning GraphQLObjectType from resolve_type was"
            " removed in GraphQL-core 3.2, please return type name instead."
        )
    if not isinstance(name, str):
        return GraphQLError(
            f"Abstract type '{abstract.name}' must resolve to an Object type at runtime"
            f" for field '{where}' with value {inspect(value)},"
            f" received '{inspect(name)}'.",
            nodes,
        )
    runtime = schema.get_type(name)
    if runtime is None:
        return GraphQLError(
            f"Abstract type '{abstract.name}' was resolved to a type"
            f" '{name}' that does not exist inside the schema.",
            nodes,
        )
    if not is_object_type(runtime):
        return GraphQLError(
            f"Abstract type '{abstract.name}' was resolved to a non-object type '{name}'.",
            nodes,
        )
    return GraphQLError(
        f"Runtime Object type '{runtime.name}' is not a possible type for '{abstract.name}'.",
        nodes,
    )


def _is_type_of_error(return_type: GraphQLObjectType, value: Any, info: Any) -> GraphQLError:
    return GraphQLError(
        f"Expected value of type '{return_type.name}' but got: {inspect(value)}.",
        info.field_nodes,
    )


# -- the compiler ------------------------------------------------------------------

#: Leaf types whose common values pass through unchanged: a condition on the value ``{0}``.
_FAST_CONDITIONS: Final[dict[Any, str]] = {
    GraphQLString: "{0}.__class__ is str",
    GraphQLID: "{0}.__class__ is str",
    GraphQLBoolean: "{0}.__class__ is bool",
    GraphQLInt: f"({{0}}.__class__ is int and {_INT_MIN} <= {{0}} <= {_INT_MAX})",
    GraphQLFloat: "({0}.__class__ is float and -INF < {0} < INF)",
}

#: The conditions on a field's value ``v`` and on a list item ``x``.
_FAST_LEAF: Final = {leaf: cond.format("v") for leaf, cond in _FAST_CONDITIONS.items()}
_FAST_ITEM: Final = {leaf: cond.format("x") for leaf, cond in _FAST_CONDITIONS.items()}

_RUNTIME: Final[dict[str, Any]] = {
    "INF": _INF,
    "PLAIN": _PLAIN,
    "check": _check,
    "leaf": _leaf,
    "leaf_stripped": _leaf_stripped,
    "fail": _fail,
    "not_iterable": _not_iterable,
    "encoded_list": _encoded_list,
    "runtime_type_error": _runtime_type_error,
    "is_type_of_error": _is_type_of_error,
    "is_awaitable": is_awaitable,
    "NotSynchronous": NotSynchronous,
}


class _FieldSpec:
    """What the per-execution ``GraphQLResolveInfo`` of one field is made of."""

    __slots__ = ("field_name", "field_nodes", "return_type", "parent_type")

    def __init__(
        self,
        field_name: str,
        field_nodes: list[FieldNode],
        return_type: GraphQLOutputType,
        parent_type: GraphQLObjectType,
    ) -> None:
        self.field_name = field_name
        self.field_nodes = field_nodes
        self.return_type = return_type
        self.parent_type = parent_type


class _FieldPlan:
    """One field of a selection, worked out once: how to resolve and complete it."""

    __slots__ = ("index", "call", "leaf", "complete", "proto")

    def __init__(
        self,
        index: int,
        call: str,
        leaf: tuple[str, str | None, bool] | None,
        complete: str | None,
        proto: str | None,
    ) -> None:
        #: Position of the field's info in ``I``.
        self.index = index
        #: The resolver call, an expression of ``src`` and ``I``.
        self.call = call
        #: For a leaf: (name of its type, fast-path condition on ``v`` or None,
        #: False), or for an enum (name of its :class:`_EnumMemo`, None, True).
        self.leaf = leaf
        #: For a composite: the name of its completion function.
        self.complete = complete
        #: For our plain protobuf field resolvers: the field read inline.
        self.proto = proto


#: Most classes a selection is specialised for; others use the generic function.
_MAX_SPECIALISED: Final = 32


class _Compiler:
    """Generates the functions of one operation.

    Every generated function has the signature ``f(v, path, I, E)``: the
    value to complete (or the source object), its response path as a chain
    of ``(prev, key)`` tuples, this execution's ``I`` (``I[0]`` the context holding
    ``strip_null``, or None when it has none; then one info per field) and
    the list collecting errors.

    An object selection gets a generic function, calling every resolver,
    and -- generated when a protobuf class is first seen there -- one per
    class, which reads plain protobuf fields inline exactly as their
    resolver (:func:`~uiserver.graphql.resolvers.proto_field_of`) would.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        strip: bool = False,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        #: Build the response as ``strip_nulls`` would leave it.
        self.strip = strip
        self.leaf = "leaf_stripped" if strip else "leaf"
        self.specs: list[_FieldSpec] = []
        self.namespace: dict[str, Any] = dict(_RUNTIME)
        self.namespace["SCHEMA"] = schema
        self.namespace["specialise"] = self._specialise
        self.source: list[str] = []
        self._pending: list[str] = []
        self._tables: list[tuple[str, dict[str, str]]] = []
        self._names = count()
        self._objects: dict[tuple, str] = {}
        self._selections: dict[str, tuple[GraphQLObjectType, dict[str, list[FieldNode]]]] = {}
        self._plans: dict[tuple, _FieldPlan | None] = {}
        self._completers: dict[tuple, str] = {}
        self._specialised: dict[tuple[str, type], Callable[..., Any]] = {}

    def _name(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def _const(self, prefix: str, value: Any) -> str:
        name = self._name(prefix)
        self.namespace[name] = value
        return name

    def _emit(self, lines: list[str]) -> None:
        self._pending.append("\n".join(lines))

    # -- object types -------------------------------------------------------

    def object_function(
        self, type_: GraphQLObjectType, fields: dict[str, list[FieldNode]], key: tuple
    ) -> str:
        """The generic function returning the response object of ``type_`` for ``fields``."""
        name = self._objects.get(key)
        if name is not None:
            return name
        name = self._objects[key] = self._name("o_")
        self._selections[name] = (type_, fields)
        self._emit(self._object_body(name, type_, fields, None))
        return name

    def _object_body(
        self,
        name: str,
        type_: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        cls: type | None,
    ) -> list[str]:
        body = [f"def {name}(src, path, I, E):"]
        if cls is not None:
            # Without a strip_null flag the resolvers decide (they will fail alike).
            generic = name.split("__", 1)[0]
            body.extend([
                "    C = I[0]",
                "    if C is None:",
                f"        return {generic}(src, path, I, E)",
                # Read per object: a deltas section sets it for its subtree.
                "    S = C.strip_null",
            ])
        if self.strip:
            body.append("    d = {}")
        results: list[tuple[str, str]] = []
        for response_key, nodes in fields.items():
            local = f"v{len(results)}"
            code = self._field(type_, response_key, nodes, local, cls)
            if code is None:
                continue  # not a field of the type: graphql-core leaves it out
            body.extend(code)
            results.append((response_key, local))
        if self.strip:
            body.append("    return d")
        else:
            # A dict display: the fastest way to build the response object.
            items = ", ".join(f"{key!r}: {local}" for key, local in results)
            body.append(f"    return {{{items}}}")
        return body

    def _specialise(self, table: dict[type, Any], generic: str, value: Any) -> Callable[..., Any]:
        """The function completing ``value`` for selection ``generic``; called at run time.

        Checks the value as graphql-core would (an awaitable, a returned
        exception), then remembers per class which function serves it: one
        specialised for a protobuf class, else the generic one.
        """
        _check(value)
        cls = value.__class__
        function = self.namespace[generic]
        if cls is _GENERATOR:
            return function  # awaitable or not per object: never remembered
        specialised = self._specialised.get((generic, cls))
        if specialised is not None:
            function = specialised
        elif getattr(cls, "DESCRIPTOR", None) is not None and len(table) < _MAX_SPECIALISED:
            type_, fields = self._selections[generic]
            if any(plan is not None and plan.proto for plan in self._field_plans(type_, fields)):
                name = f"{generic}__{self._name('k')}"
                self._emit(self._object_body(name, type_, fields, cls))
                self.build()
                function = self._specialised[generic, cls] = self.namespace[name]
        if len(table) < _MAX_SPECIALISED * 2:
            table[cls] = function
        return function

    def _field_plans(self, type_: GraphQLObjectType, fields: dict[str, list[FieldNode]]):
        for nodes in fields.values():
            yield self._plan(type_, nodes)

    def _plan(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> _FieldPlan | None:
        """The plan of a field (None: not a field of ``parent``); made once per field."""
        key = (parent.name, *map(id, nodes))
        if key in self._plans:
            return self._plans[key]
        field_name = nodes[0].name.value
        if field_name in ("__schema", "__type"):
            raise _Unsupported("introspection")
        field_def = parent.fields.get(field_name)
        if field_def is None:
            self._plans[key] = None
            return None
        return_type = field_def.type
        _refuse_non_null(return_type)
        try:
            args = get_argument_values(field_def, nodes[0], self.variables)
        except GraphQLError as exc:
            raise _Unsupported(f"arguments of {parent.name}.{field_name}: {exc}") from None
        index = len(self.specs) + 1
        self.specs.append(_FieldSpec(field_name, nodes, return_type, parent))
        resolve = field_def.resolve or default_field_resolver
        resolver = self._const("R", resolve)
        if args:
            call = f"{resolver}(src, I[{index}], **{self._const('A', args)})"
        else:
            call = f"{resolver}(src, I[{index}])"
        proto = proto_field_of(resolve)
        proto_name = proto[0] if proto is not None and not proto[1] else None
        if is_enum_type(return_type):
            memo = _EnumMemo(return_type, _leaf_stripped if self.strip else _leaf)
            plan = _FieldPlan(index, call, (self._const("M", memo), None, True), None, proto_name)
        elif is_leaf_type(return_type):
            plan = _FieldPlan(
                index, call,
                (self._const("T", return_type), _FAST_LEAF.get(return_type), False),
                None, proto_name,
            )
        else:
            plan = _FieldPlan(
                index, call, None, self.completer(return_type, nodes, index), proto_name
            )
        self._plans[key] = plan
        return plan

    def _field(
        self,
        parent: GraphQLObjectType,
        key: str,
        nodes: list[FieldNode],
        local: str,
        cls: type | None,
    ) -> list[str] | None:
        if nodes[0].name.value == "__typename":
            if self.strip:
                return [f"    d[{key!r}] = {parent.name!r}"]
            return [f"    {local} = {parent.name!r}"]
        plan = self._plan(parent, nodes)
        if plan is None:
            return None
        lines = ["    try:"]
        lines.extend(self._read(plan, cls))
        path = f"(path, {key!r})"
        if plan.leaf is not None:
            type_name, fast, memoised = plan.leaf
            if memoised:
                lines.append("        if v is not None:")
                lines.append(f"            v = {type_name}(v)")
            elif fast is None:
                lines.append(f"        v = {self.leaf}(v, {type_name})")
            else:
                lines.append(f"        if v is not None and not {fast}:")
                lines.append(f"            v = {self.leaf}(v, {type_name})")
            # Stripped, a leaf is dropped only when null (0, False and "" stay).
            keep = "v is not None"
        else:
            lines.append("        if v is not None:")
            lines.append(f"            v = {plan.complete}(v, {path}, I, E)")
            # Stripped, an object or list is dropped when null or empty.
            keep = "v"
        lines.extend([
            "    except Exception as e:",
            f"        v = fail(e, E, I[{plan.index}], {path})",
        ])
        if self.strip:
            lines.append(f"    if {keep}:")
            lines.append(f"        d[{key!r}] = v")
        else:
            lines.append(f"    {local} = v")
        return lines

    def _read(self, plan: _FieldPlan, cls: type | None) -> list[str]:
        """Lines setting ``v`` to the resolver's result (inline for protobuf fields of ``cls``)."""
        if cls is None or plan.proto is None:
            return [f"        v = {plan.call}"]
        name = plan.proto
        kind = proto_field_kind(cls, name)
        plain = name.isidentifier() and not iskeyword(name)
        attribute = f"src.{name}" if plain else f"getattr(src, {name!r})"
        if kind == "singular":
            # As the resolver: null when unset under strip_null.
            return [f"        v = {attribute} if not S or src.HasField({name!r}) else None"]
        if kind == "repeated":
            return [f"        v = {attribute}", "        if S and not v:", "            v = None"]
        if kind == "absent":
            return ["        v = None"]
        return [f"        v = {plan.call}"]  # not a protobuf class after all

    # -- composite completion -------------------------------------------------

    def completer(self, type_: GraphQLOutputType, nodes: list[FieldNode], index: int) -> str:
        """A function completing a non-null value of composite ``type_`` (never null)."""
        key = (str(type_), index)
        name = self._completers.get(key)
        if name is not None:
            return name
        if is_list_type(type_):
            name = self._list(type_, nodes, index)
        elif is_abstract_type(type_):
            name = self._abstract(type_, nodes, index)
        elif is_object_type(type_):
            name = self._object_value(type_, nodes, index)
        else:  # pragma: no cover - there are no other output types
            raise _Unsupported(f"type {type_}")
        self._completers[key] = name
        return name

    def _object_value(self, type_: GraphQLObjectType, nodes: list[FieldNode], index: int) -> str:
        fields = collect_sub_fields(self.schema, self.fragments, self.variables, type_, nodes)
        target = self.object_function(type_, fields, (type_.name, *map(id, nodes)))
        name = self._name("c_")
        table = self._const("BY_CLASS", {})
        lines = [
            f"def {name}(v, path, I, E):",
            f"    f = {table}.get(v.__class__)",
            "    if f is None:",
            f"        f = specialise({table}, {target!r}, v)",
        ]
        if type_.is_type_of:
            type_name = self._const("T", type_)
            lines.extend([
                f"    ok = {type_name}.is_type_of(v, I[{index}])",
                "    if is_awaitable(ok):",
                "        raise NotSynchronous(ok)",
                "    if not ok:",
                f"        raise is_type_of_error({type_name}, v, I[{index}])",
            ])
        lines.append("    return f(v, path, I, E)")
        self._emit(lines)
        return name

    def _abstract(self, type_: GraphQLAbstractType, nodes: list[FieldNode], index: int) -> str:
        table = {
            possible.name: self._object_value(possible, nodes, index)
            for possible in self.schema.get_possible_types(type_)
        }
        name = self._name("a_")
        abstract = self._const("T", type_)
        resolve_type = self._const("RT", type_.resolve_type or default_type_resolver)
        by_name = self._const("BY_NAME", {})
        self._tables.append((by_name, table))  # function names, looked up once defined
        lines = [
            f"def {name}(v, path, I, E):",
            "    if v.__class__ not in PLAIN:",
            "        check(v)",
            f"    runtime = {resolve_type}(v, I[{index}], {abstract})",
            "    if is_awaitable(runtime):",
            "        raise NotSynchronous(runtime)",
            f"    complete = {by_name}.get(runtime) if runtime.__class__ is str else None",
            "    if complete is None:",
            f"        raise runtime_type_error(runtime, {abstract}, I[{index}], v, SCHEMA)",
            "    return complete(v, path, I, E)",
        ]
        self._emit(lines)
        return name

    def _list(self, type_: GraphQLList, nodes: list[FieldNode], index: int) -> str:
        item_type = type_.of_type
        _refuse_non_null(item_type)
        name = self._name("l_")
        head = [
            f"def {name}(v, path, I, E):",
            "    if v.__class__ is not list:",
            f"        v = not_iterable(v, I[{index}])",
        ]
        leaf = self.leaf
        if is_leaf_type(item_type):
            item = self._const("T", item_type)
            fast = _FAST_ITEM.get(item_type)
            quick = (
                f"[x if {fast} else {leaf}(x, {item}) for x in v]"
                if fast is not None
                else f"[{leaf}(x, {item}) for x in v]"
            )
            # Stripped, null items go (and so do empty containers: leaf_stripped).
            done = (
                "[x for x in out if x is not None] if None in out else out"
                if self.strip else "out"
            )
            lines = head + [
                "    try:",
                f"        out = {quick}",
                f"        return {done}",
                "    except Exception:",
                "        pass",
                "    # An item failed: again item by item, each error at its index.",
                "    out = []",
                "    for n, x in enumerate(v):",
                "        try:",
                f"            out.append({leaf}(x, {item}))",
                "        except Exception as e:",
                f"            out.append(fail(e, E, I[{index}], (path, n)))",
                f"    return {done}",
            ]
        else:
            complete = self.completer(item_type, nodes, index)
            if self.strip:
                keep = ["        if r:", "            append(r)"]
                null = ["            continue"]
            else:
                keep = ["        append(r)"]
                null = ["            append(None)", "            continue"]
            # With ``encode_lists_over`` set, a long list is encoded as it goes.
            long = [
                "    C = I[0]",
                "    if C is not None and 0 < C.encode_lists_over < len(v):",
                f"        return encoded_list(v, path, I, E, {complete}, {index}, {self.strip})",
            ]
            lines = head + long + [
                "    out = []",
                "    append = out.append",
                "    for n, x in enumerate(v):",
                "        if x is None:",
                *null,
                "        try:",
                f"            r = {complete}(x, (path, n), I, E)",
                "        except Exception as e:",
                f"            r = fail(e, E, I[{index}], (path, n))",
                *keep,
                "    return out",
            ]
        self._emit(lines)
        return name

    # -- assembly -----------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """Define the functions generated since the last build; returns the namespace."""
        source = "\n\n".join(self._pending)
        self._pending.clear()
        self.source.append(source)
        code = compile(source, "<uiserver.graphql.fastexec>", "exec")
        exec(code, self.namespace)  # noqa: S102 - our own generated code, no document text in it
        for const, table in self._tables:
            self.namespace[const].update(
                (type_name, self.namespace[function]) for type_name, function in table.items()
            )
        self._tables.clear()
        return self.namespace


def _refuse_non_null(type_: GraphQLOutputType) -> None:
    while True:
        if is_non_null_type(type_):
            raise _Unsupported("non-null output field")
        if not is_list_type(type_):
            return
        type_ = type_.of_type


class _Program:
    """The generated functions of one operation in one output mode."""

    __slots__ = ("specs", "root", "compiler")

    def __init__(self, compiler: _Compiler, root: Callable[..., Any]) -> None:
        self.compiler = compiler
        #: The fields, in the order of their infos in ``I[1:]``.
        self.specs = compiler.specs
        self.root = root

    @property
    def source(self) -> str:
        return "\n\n".join(self.compiler.source)


def _generate(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    strip: bool,
) -> _Program:
    """Generate the functions of ``operation``; raises _Unsupported."""
    root_type = schema.get_root_type(operation.operation)
    if root_type is None:
        raise _Unsupported(f"no {operation.operation.value} type")
    compiler = _Compiler(schema, fragments, variables, strip)
    try:
        fields = collect_fields(schema, fragments, variables, root_type, operation.selection_set)
    except RecursionError:
        raise _Unsupported("selections nested too deeply") from None
    root = compiler.object_function(root_type, fields, ("<root>",))
    namespace = compiler.build()
    return _Program(compiler, namespace[root])


class CompiledOperation:
    """One operation of a document, compiled for fixed variable values."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        program: _Program,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.operation = operation
        #: The coerced variable values every resolver sees.
        self.variables = variables
        self._programs: dict[bool, _Program] = {False: program}
        #: Per program, the leading fields of each spec's resolve info (all
        #: but the per-execution ones), so an execution only appends those.
        self._info_heads: dict[bool, tuple[tuple[Any, ...], ...]] = {}

    def source(self, strip_nulls: bool = False) -> str:
        """The generated Python source (for debugging)."""
        return self._program(strip_nulls).source

    def _program(self, strip: bool) -> _Program:
        program = self._programs.get(strip)
        if program is None:
            # Cannot raise _Unsupported: the same document compiled already.
            program = self._programs[strip] = _generate(
                self.schema, self.fragments, self.operation, self.variables, strip
            )
        return program

    def execute(
        self, root_value: Any, context_value: Any, *, strip_nulls: bool = False
    ) -> ExecutionResult:
        """Execute against ``root_value``: the same result as graphql-core's ``execute``.

        With ``strip_nulls`` the data is built directly as
        :func:`uiserver.graphql.strip.strip_nulls` would turn graphql-core's
        data (no nulls, no empty objects or lists), saving that second pass;
        the errors are the same either way.

        Raises :class:`NotSynchronous` (after closing the awaitable) if a
        resolver returned an awaitable; the caller should then execute the
        document with graphql-core.
        """
        program = self._program(strip_nulls)
        heads = self._info_heads.get(strip_nulls)
        if heads is None:
            schema, fragments = self.schema, self.fragments
            heads = self._info_heads[strip_nulls] = tuple(
                (spec.field_name, spec.field_nodes, spec.return_type, spec.parent_type, None,
                 schema, fragments)
                for spec in program.specs
            )
        # The specialised functions read ``strip_null`` from the context per
        # object (a deltas section changes it for its subtree); without such
        # a flag they defer to the resolvers.
        holder = context_value if hasattr(context_value, "strip_null") else None
        # GraphQLResolveInfo's fields in order, each info one tuple build:
        # a sidebar frame has 21, and building them field by field took
        # about 30 % of resolving it (benchmarks/sidebar_batch.py).
        tail = (root_value, self.operation, self.variables, context_value, is_awaitable)
        new = tuple.__new__
        infos = (holder, *[new(_SharedInfo, head + tail) for head in heads])
        errors: list[GraphQLError] = []
        try:
            data = program.root(root_value, None, infos, errors)
        except NotSynchronous as exc:
            pending = exc.args[0] if exc.args else None
            close = getattr(pending, "close", None)
            if close is not None:
                close()
            raise
        return ExecutionContext.build_response(data, errors)


def compile_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> CompiledOperation | None:
    """Compile the operation of a validated ``document`` for ``variables`` (raw values).

    Returns None when the operation uses something this executor does not
    support (see the module docstring), or when graphql-core would answer
    with request errors (unknown operation, bad variables): execute the
    document with graphql-core then.
    """
    operation: OperationDefinitionNode | None = None
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation is not None:
                    return None  # several operations and no name: a request error
                operation = definition
            elif definition.name is not None and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
    if operation is None or operation.operation == OperationType.MUTATION:
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None  # coercion errors: graphql-core reports them
    try:
        program = _generate(schema, fragments, operation, coerced, strip=False)
    except _Unsupported:
        return None
    return CompiledOperation(schema, fragments, operation, coerced, program)
