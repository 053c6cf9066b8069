"""The compiled executor gives graphql-core's results: same data, same errors.

Every test runs a document through both graphql-core's ``execute`` and
:mod:`uiserver.graphql.fastexec` on the same frame and compares the data
(values and key order, as it is encoded), the formatted errors, and the
stripped data (``strip_nulls`` of graphql-core's data against the compiled
executor's own stripped output).
"""

from __future__ import annotations

import gc
import json
import random
import re
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    execute,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    SingleFieldSubscriptionsRule,
    parse,
    specified_rules,
    validate,
)

from tests.ui_documents import APP_SUBSCRIPTION, WORKFLOW_SUBSCRIPTION

from uiserver.graphql import fastexec
from uiserver.graphql.awaitable import is_awaitable
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.encoding import EncodedList, encode_result
from uiserver.graphql.fastexec import NotSynchronous, compile_operation
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.graphql.strip import strip_nulls
from uiserver.scheduler.messages import AllDeltas, PbTaskProxy, PbWorkflow
from uiserver.store import Store, StoreChange

from ._big import WF as BIG_WF
from ._big import big_workflow
from ._data import WF, make_store
from .test_deltas import APP_WITH_TYPENAMES

pytestmark = pytest.mark.timeout(120)


#: Every rule but "one root field per subscription", so one document can try many fields.
RULES = [rule for rule in specified_rules if rule is not SingleFieldSubscriptionsRule]


def _dump(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _formatted(result: Any) -> list[dict[str, Any]]:
    return [error.formatted for error in result.errors or ()]


def compare(
    store: Store | None,
    query: str,
    root: Any,
    variables: dict[str, Any] | None = None,
    *,
    schema: GraphQLSchema = graphql_schema,
    operation_name: str | None = None,
    context_strip: tuple[bool, ...] = (False, True),
) -> Any:
    """Run ``query`` with both executors, assert identical results; returns graphql-core's."""
    document = parse(query)
    assert validate(schema, document, RULES) == []
    compiled = compile_operation(schema, document, operation_name, variables)
    assert compiled is not None, "the document should compile"
    core = None
    for strip in context_strip:
        def context() -> Any:
            return ResolveContext(store=store, owner="u", strip_null=strip)

        core = execute(
            schema, document, root_value=root, context_value=context(),
            variable_values=variables, operation_name=operation_name, is_awaitable=is_awaitable,
        )
        fast = compiled.execute(root, context())
        assert _dump(fast.data) == _dump(core.data)
        assert _formatted(fast) == _formatted(core)
        stripped = compiled.execute(root, context(), strip_nulls=True)
        expected = strip_nulls(core.data) if core.data is not None else None
        assert _dump(stripped.data) == _dump(expected)
        assert _formatted(stripped) == _formatted(core)
        # Lists encoded as they resolve (two items a chunk): the same bytes, the same errors.
        for strip_nulls_, plain in ((False, fast), (True, stripped)):
            encoding = context()
            encoding.encode_lists_over = 1
            with _chunks_of(2):
                encoded = compiled.execute(root, encoding, strip_nulls=strip_nulls_)
            assert encode_result({"data": encoded.data}) == encode_result({"data": plain.data})
            assert _formatted(encoded) == _formatted(plain)
    return core


@contextmanager
def _chunks_of(size: int) -> Iterator[None]:
    saved = fastexec.ENCODE_CHUNK
    fastexec.ENCODE_CHUNK = size
    try:
        yield
    finally:
        fastexec.ENCODE_CHUNK = saved


# -- frames --------------------------------------------------------------------


def _burst(store: Store) -> DeltaFrame:
    return DeltaFrame.burst(store.get(WF))


def _batch_frame(store: Store) -> DeltaFrame:
    """Updated and pruned elements from a real batch applied to the replica."""
    deltas = AllDeltas()
    deltas.task_proxies.time = 11.0
    deltas.task_proxies.updated.append(PbTaskProxy(id=f"{WF}//1/b", state="preparing", is_held=False))
    deltas.task_proxies.pruned.append(f"{WF}//2/a")
    deltas.workflow.time = 11.0
    deltas.workflow.updated.CopyFrom(PbWorkflow(id=WF, status_msg="busy"))
    change, mismatched = store.get(WF).apply(deltas)
    assert change is not None and not mismatched
    return DeltaFrame.from_change(change)


def _frames(store: Store) -> dict[str, DeltaFrame]:
    return {
        "burst": _burst(store),
        "batch": _batch_frame(store),
        "shutdown": DeltaFrame(workflow_id=WF, shutdown=True),
        "pruned-workflow": DeltaFrame(
            workflow_id=WF, pruned={"workflow": [WF]},
            updated={"workflow": [PbWorkflow(id=WF, pruned=True)]},
        ),
        "reloaded": DeltaFrame.from_change(
            StoreChange(WF, updated={"workflow": [PbWorkflow(id=WF, status="paused")]}, reloaded=True)
        ),
    }


FRAME_NAMES = ["burst", "batch", "shutdown", "pruned-workflow", "reloaded"]


# -- the web UI's documents --------------------------------------------------------


@pytest.mark.parametrize("frame_name", FRAME_NAMES)
@pytest.mark.parametrize("query", [APP_SUBSCRIPTION, APP_WITH_TYPENAMES, WORKFLOW_SUBSCRIPTION])
def test_web_ui_documents(query, frame_name):
    store = make_store()
    frame = _frames(store)[frame_name]
    core = compare(store, query, frame, {"workflowId": WF})
    assert core.errors is None
    assert core.data["deltas"]["id"] == WF


def test_workflow_document_selects_every_section():
    store = make_store()
    core = compare(store, WORKFLOW_SUBSCRIPTION, _burst(store), {"workflowId": WF})
    added = core.data["deltas"]["added"]
    assert len(added["taskProxies"]) == 3 and len(added["jobs"]) == 1
    assert added["taskProxies"][0]["runtime"] == {"runMode": "Live"}  # an enum, serialised


def test_operation_name_picks_the_operation():
    store = make_store()
    query = APP_SUBSCRIPTION + "\nsubscription Other { deltas { shutdown } }"
    core = compare(store, query, _burst(store), operation_name="Other")
    assert core.data == {"deltas": {"shutdown": False}}


# -- features -----------------------------------------------------------------------

PER_TYPE = (
    "subscription { "
    "workflows { id status } "
    'fromFrame: workflows(deltaStore: true, deltaType: "updated") { id status } '
    "taskProxies { id } "
    "liveProxies: taskProxies(deltaStore: false) { id state } "
    'taskProxy(id: "~u/wf//2/a") { id } '
    'notInFrame: taskProxy(id: "~u/wf//1/a") { id } '
    'liveOne: taskProxy(id: "~u/wf//1/a", deltaStore: false) { id outputs { label satisfied } } '
    "jobs { id } "
    "liveJobs: jobs(deltaStore: false) { id taskProxy { id } } "
    "tasks(deltaStore: false) { id meta { title userDefined } runtime { directives { key value } } } "
    "families(deltaStore: false) { id childTasks { id } } "
    "edges(deltaStore: false) { id } "
    'nodesEdges(ids: ["1/a"]) { nodes { id } edges { id } } '
    f'logs(id: "{WF}") {{ lines connected path error }} }}'
)


@pytest.mark.parametrize("frame_name", FRAME_NAMES)
def test_per_type_subscriptions(frame_name):
    store = make_store("~u/other")
    core = compare(store, PER_TYPE, _frames(store)[frame_name])
    assert core.errors is None


def test_aliases_typename_and_merged_selections():
    store = make_store()
    core = compare(
        store,
        "subscription { d: deltas { __typename wid: id "
        "added { __typename workflow { id } workflow { status } w2: workflow { port } ...A } "
        "added { taskProxies { id } tp: taskProxies(isHeld: true) { id __typename } } } } "
        "fragment A on Added { workflow { id host } ... on Added { families { name } } }",
        _burst(store),
    )
    added = core.data["d"]["added"]
    assert added["workflow"] == {"id": WF, "status": "running", "host": "h"}
    assert added["tp"] == [{"id": f"{WF}//1/b", "__typename": "TaskProxy"}]


def test_inline_fragments_on_the_node_union():
    store = make_store()
    core = compare(
        store,
        "subscription { deltas { added { edges { id "
        "sourceNode { __typename ... on TaskProxy { id state } ... on FamilyProxy { name } } "
        "frameTarget: targetNode(deltaStore: true) { ... on TaskProxy { id isHeld } } } } } }",
        _burst(store),
    )
    edge = core.data["deltas"]["added"]["edges"][0]
    assert edge["sourceNode"] == {"__typename": "TaskProxy", "id": f"{WF}//1/a", "state": "running"}


def test_the_delta_interface():
    store = make_store()
    compare(
        store,
        "subscription { deltas { added { ... on Delta { workflow { id } } __typename } "
        "updated { ... on Updated { workflow { id } } } } }",
        _batch_frame(store),
    )


@pytest.mark.parametrize(
    "variables",
    [
        {"x": True, "y": False, "ids": ["1/*"]},
        {"x": False, "y": True, "ids": ["*/a"]},
        {"x": True, "y": True, "ids": []},
    ],
)
def test_skip_include_and_variables(variables):
    store = make_store()
    core = compare(
        store,
        "subscription($x: Boolean!, $y: Boolean!, $ids: [ID], $strip: Boolean = false) {"
        " deltas(stripNull: $strip) { id @include(if: $x) shutdown @skip(if: $x)"
        " added { taskProxies(ids: $ids) { id name @include(if: $y) state @skip(if: true) }"
        " ...F @include(if: $y) } } }"
        " fragment F on Added { jobs { id } workflow @skip(if: false) { id } }",
        _burst(store),
        variables,
    )
    deltas = core.data["deltas"]
    assert ("id" in deltas) is variables["x"]
    assert ("jobs" in deltas["added"]) is variables["y"]


def test_filters_and_sections():
    store = make_store()
    compare(
        store,
        'subscription { deltas { added { taskProxies(ids: ["1/b"]) { id } '
        "held: taskProxies(isHeld: true) { id } "
        'jobs(states: ["succeeded"]) { id } sorted: taskProxies(sort: {keys: ["name", "id"], reverse: true}) { id } '
        'tasks(ids: ["a"]) { id proxies { id } parents { name } firstParent { id } } families { id } '
        "live: familyProxies(deltaStore: false) { id ancestors { id } childFamilies { id } stateTotals } "
        'fromUpdated: taskProxies(deltaType: "updated") { id } '
        "workflow { stateTotals latestStateTasks broadcasts(ids: [\"1/*\"]) timeZoneInfo { hours } "
        "edges { leaves edges { id target } } nodesEdges { nodes { id } } } } } }",
        _burst(store),
    )


def test_resolver_errors_have_messages_locations_and_paths():
    store = make_store()
    core = compare(
        store,
        "subscription { deltas { added {\n"
        '  bad: taskProxies(sort: {keys: ["nope"]}) { id }\n'
        "  taskProxies { id jobs(sort: {keys: [\"alsoNope\"]}) { id } }\n"
        '  good: jobs { id }\n } } }',
        _burst(store),
    )
    paths = [error.path for error in core.errors]
    assert ["deltas", "added", "bad"] in paths
    assert ["deltas", "added", "taskProxies", 0, "jobs"] in paths
    assert core.data["deltas"]["added"]["good"] == [{"id": f"{WF}//1/a/01"}]


def test_the_big_burst_is_identical():
    store = Store()
    store.ensure(BIG_WF).load_snapshot(big_workflow(cycles=80))
    frame = DeltaFrame.burst(store.get(BIG_WF))
    core = compare(store, WORKFLOW_SUBSCRIPTION, frame, {"workflowId": BIG_WF})
    assert len(core.data["deltas"]["added"]["taskProxies"]) == 800


# -- what is refused ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "operation_name", "variables"),
    [
        ('mutation { hold(workflows: ["x"]) { result } }', None, None),
        ("query { __schema { queryType { name } } }", None, None),
        ('query { __type(name: "Workflow") { name } }', None, None),
        ("subscription A { deltas { id } } subscription B { deltas { id } }", None, None),
        ("subscription A { deltas { id } }", "Nope", None),
        ("subscription($x: Boolean!) { deltas { id @include(if: $x) } }", None, {}),
        ("subscription($x: Boolean!) { deltas { id @include(if: $x) } }", None, {"x": "no"}),
    ],
)
def test_refused_documents(query, operation_name, variables):
    assert compile_operation(graphql_schema, parse(query), operation_name, variables) is None


def test_async_resolvers_are_refused_at_execution():
    store = make_store()
    compiled = compile_operation(graphql_schema, parse("query { jobs { id } }"), None, None)
    assert compiled is not None
    with _no_warnings():
        with pytest.raises(NotSynchronous):
            compiled.execute(None, ResolveContext(store=store, owner="u"))
        gc.collect()  # an unclosed coroutine would warn "never awaited" here


class _no_warnings:
    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info):
        self._catch.__exit__(*exc_info)
        assert not [w for w in self.caught if "never awaited" in str(w.message)]
        return False


# -- edge cases of value completion, on a schema of our own ------------------------------


class _Custom:
    def __str__(self) -> str:
        return "custom"


class _Tagged:
    """A value whose type the union resolves by its ``kind``."""

    def __init__(self, kind: Any, **fields: Any) -> None:
        self.kind = kind
        self.__dict__.update(fields)


async def _coroutine() -> str:
    return "late"


def _edge_schema() -> GraphQLSchema:
    color = GraphQLEnumType("Color", {"RED": "red", "BLUE": "blue"})

    def boom(root: Any, info: Any, **args: Any) -> Any:
        raise ValueError(f"boom {sorted(args.items())}")

    def attr(name: str):
        return lambda root, info, **args: root.get(name) if isinstance(root, dict) else getattr(root, name, None)

    item = GraphQLObjectType(
        "Item",
        lambda: {
            "name": GraphQLField(GraphQLString, resolve=attr("name")),
            "size": GraphQLField(GraphQLInt, resolve=attr("size")),
            "boom": GraphQLField(GraphQLString, resolve=boom),
            "children": GraphQLField(GraphQLList(item), resolve=attr("children")),
        },
    )
    other = GraphQLObjectType(
        "Other",
        {"label": GraphQLField(GraphQLString, resolve=attr("label"))},
        is_type_of=lambda value, info: getattr(value, "kind", None) == "Other",
    )
    named = GraphQLInterfaceType(
        "Named", {"name": GraphQLField(GraphQLString)},
        resolve_type=lambda value, info, abstract: getattr(value, "kind", None),
    )
    dog = GraphQLObjectType(
        "Dog", {"name": GraphQLField(GraphQLString, resolve=attr("name"))}, interfaces=[named],
    )
    either = GraphQLUnionType(
        "Either", [item, other], resolve_type=lambda value, info, abstract: value.kind
    )
    by_default = GraphQLUnionType("ByDefault", [other, dog])

    values: dict[str, tuple[Any, Any]] = {
        "s": (GraphQLString, "text"),
        "sInt": (GraphQLString, 12),
        "sBool": (GraphQLString, True),
        "sCustom": (GraphQLString, _Custom()),
        "sDict": (GraphQLString, {"a": 1}),
        "big": (GraphQLInt, 2**40),
        "intFloat": (GraphQLInt, 3.0),
        "intHalf": (GraphQLInt, 3.5),
        "intBool": (GraphQLInt, False),
        "nan": (GraphQLFloat, float("nan")),
        "inf": (GraphQLFloat, float("inf")),
        "floatInt": (GraphQLFloat, 2),
        "color": (color, "red"),
        "badColor": (color, "green"),
        "colorList": (color, ["red"]),  # unhashable: not memoised, still an error
        "colorMember": (color, "blue"),
        "undefined": (GraphQLString, Undefined),
        "exception": (GraphQLString, ValueError("returned, not raised")),
        "strings": (GraphQLList(GraphQLString), ["a", None, 2, "b"]),
        "ints": (GraphQLList(GraphQLInt), [1, 2**40, "x", None, 3]),
        "tuple": (GraphQLList(GraphQLString), ("x", "y")),
        "generator": (GraphQLList(GraphQLInt), None),  # filled in below
        "notList": (GraphQLList(GraphQLString), 7),
        "strAsList": (GraphQLList(GraphQLString), "abc"),
        "nested": (GraphQLList(GraphQLList(GraphQLInt)), [[1, None], None, [], [2**40]]),
        "emptyItems": (GraphQLList(item), [{}, None, {"name": None}]),
        "items": (GraphQLList(item), [
            {"name": "a", "size": 1, "children": [{"name": "a1", "size": 2**33}]},
            None,
            {"name": "b", "children": None},
            ValueError("item error"),
        ]),
        "either": (GraphQLList(either), [
            _Tagged("Item", name="i"), _Tagged("Other", label="o"), _Tagged("Nope"),
            _Tagged(None), _Tagged(3), _Tagged("Other", label="x"), _Tagged("String"),
            _Tagged("Dog"),
        ]),
        "named": (GraphQLList(named), [_Tagged("Dog", name="rex"), _Tagged("Item", name="i")]),
        "byDefault": (GraphQLList(by_default), [_Tagged("Other", label="o"), _Tagged("Dog")]),
        "notOther": (other, _Tagged("Item")),
    }

    def constant(name: str):
        def resolve(root: Any, info: Any, **args: Any) -> Any:
            if name == "generator":
                return (n for n in (1, 2, "x"))
            return values[name][1]

        return resolve

    fields = {
        name: GraphQLField(type_, resolve=constant(name)) for name, (type_, _) in values.items()
    }
    fields["boom"] = GraphQLField(
        GraphQLString,
        args={"n": GraphQLArgument(GraphQLInt, default_value=5), "m": GraphQLArgument(GraphQLString)},
        resolve=boom,
    )
    fields["item"] = GraphQLField(item, resolve=lambda root, info: {"name": "solo", "size": 1})
    fields["path"] = GraphQLField(GraphQLString, resolve=lambda root, info: str(info.path.as_list()))
    fields["strict"] = GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda root, info: "x")
    fields["late"] = GraphQLField(GraphQLString, resolve=lambda root, info: _coroutine())
    fields["lateItems"] = GraphQLField(
        GraphQLList(GraphQLString), resolve=lambda root, info: ["a", _coroutine()]
    )
    query = GraphQLObjectType("Query", fields)
    return GraphQLSchema(query, types=[dog])


EDGE_SCHEMA = _edge_schema()

EDGE_QUERY = """
query {
  s sInt sBool sCustom sDict big intFloat intHalf intBool nan inf floatInt color badColor
  colorList colorMember again1: color again2: badColor
  undefined exception strings ints tuple generator notList strAsList nested
  emptyItems { name size }
  items { name size boom children { name size } }
  boom(m: "x")
  again: boom
  item { name ...on Item { size } }
  either { __typename ... on Item { name } ... on Other { label } }
  named { __typename name ... on Dog { name } }
  byDefault { __typename ... on Other { label } }
  notOther { label }
}
"""


def test_value_completion_edge_cases():
    core = compare(None, EDGE_QUERY, None, schema=EDGE_SCHEMA, context_strip=(False,))
    assert len(core.errors) > 15  # every kind of failure above shows up


def test_enum_values_are_memoised_but_errors_are_not():
    """The enum memo returns what graphql-core would on every execution, errors included."""
    document = parse("{ color badColor colorList colorMember again: badColor }")
    compiled = compile_operation(EDGE_SCHEMA, document, None, None)
    core = execute(EDGE_SCHEMA, document, is_awaitable=is_awaitable)
    for _ in range(3):
        fast = compiled.execute(None, ResolveContext(store=None, owner="u"))
        assert fast.data == core.data == {
            "color": "RED", "badColor": None, "colorList": None, "colorMember": "BLUE", "again": None,
        }
        assert _formatted(fast) == _formatted(core) and len(core.errors) == 3


def test_non_null_output_fields_are_refused():
    assert compile_operation(EDGE_SCHEMA, parse("{ s strict }"), None, None) is None


def test_awaitable_results_raise_not_synchronous():
    for query in ("{ s late }", "{ lateItems }"):
        compiled = compile_operation(EDGE_SCHEMA, parse(query), None, None)
        assert compiled is not None
        with _no_warnings():
            with pytest.raises(NotSynchronous):
                compiled.execute(None, None)
            gc.collect()


def test_a_resolver_reading_info_path_fails_loudly():
    compiled = compile_operation(EDGE_SCHEMA, parse("{ path }"), None, None)
    result = compiled.execute(None, None)
    assert result.data == {"path": None}
    assert "info.path is not available" in result.errors[0].message


def test_our_resolvers_never_read_info_path():
    """One info per field is shared by every object: a resolver must not use ``path``."""
    package = Path(__file__).resolve().parents[3] / "uiserver"
    pattern = re.compile(r"\binfo\s*\.\s*path\b|getattr\(\s*info\s*,\s*['\"]path")
    offenders = [
        str(path)
        for path in package.rglob("*.py")
        if path.name != "fastexec.py" and pattern.search(path.read_text())
    ]
    assert offenders == []


def _proto_schema() -> GraphQLSchema:
    """Fields read by our plain protobuf resolvers, over roots of several classes."""
    from types import SimpleNamespace

    from uiserver.graphql.resolvers import _field_resolver
    from uiserver.scheduler.messages import PbJob

    proxy = GraphQLObjectType(
        "Proxy",
        {
            "id": GraphQLField(GraphQLString, resolve=_field_resolver("id", False)),
            "state": GraphQLField(GraphQLString, resolve=_field_resolver("state", False)),
            "isHeld": GraphQLField(GraphQLString, resolve=_field_resolver("is_held", False)),
            "depth": GraphQLField(GraphQLInt, resolve=_field_resolver("depth", False)),
            "namespace": GraphQLField(
                GraphQLList(GraphQLString), resolve=_field_resolver("namespace", False)
            ),
            "submitNum": GraphQLField(GraphQLInt, resolve=_field_resolver("submit_num", False)),
        },
    )
    roots = [
        PbTaskProxy(id="a", state="running", namespace=["root", "a"], depth=0),
        PbTaskProxy(id="b"),
        {"id": "row", "state": "failed", "namespace": ["x"]},
        SimpleNamespace(id="ns", depth=3),
        PbJob(id="job", state="succeeded", submit_num=2),
        PbTaskProxy(id="c", is_held=True),
    ]
    query = GraphQLObjectType(
        "Query", {"proxies": GraphQLField(GraphQLList(proxy), resolve=lambda root, info: roots)}
    )
    return GraphQLSchema(query)


def test_protobuf_fields_read_inline_as_their_resolvers_read_them():
    schema = _proto_schema()
    query = "{ proxies { id state isHeld depth namespace submitNum } }"
    core = compare(None, query, None, schema=schema)
    assert core.errors is None
    document = parse(query)
    compiled = compile_operation(schema, document, None, None)
    # A context without strip_null: the resolvers fail, inline reads must fail alike.
    for context in (None, object()):
        expected = execute(schema, document, context_value=context)
        for strip in (False, True):
            got = compiled.execute(None, context, strip_nulls=strip)
            assert _formatted(got) == _formatted(expected)
            want = strip_nulls(expected.data) if strip else expected.data
            assert _dump(got.data) == _dump(want)
    assert "__k" in compiled.source()  # the protobuf classes got their own functions


# -- randomized selections ------------------------------------------------------------

_ARGUMENT_CHOICES: dict[str, list[str]] = {
    "stripNull": ["true", "false"],
    "deltaStore": ["true", "false"],
    "deltaType": ['"added"', '"updated"', '"pruned"'],
    "states": ['["running"]', '["waiting", "preparing"]'],
    "exstates": ['["running"]'],
    "isHeld": ["true", "false"],
    "ids": ['["1/*"]', '["*/a"]', '["a"]'],
    "sort": ['{keys: ["id"], reverse: true}', '{keys: ["nope"]}'],
    "satisfied": ["true", "false"],
    "limit": ["1", "0"],
    "mindepth": ["1"],
    "distance": ["0", "2"],
}


def _selection(rng: random.Random, type_: Any, depth: int, counter: list[int]) -> str:
    """A random selection set for ``type_`` (an object, interface or union type)."""
    parts: list[str] = []
    if rng.random() < 0.3:
        parts.append("__typename")
    if is_abstract_type(type_):
        for possible in graphql_schema.get_possible_types(type_):
            if rng.random() < 0.7:
                parts.append(f"... on {possible.name} {{ {_selection(rng, possible, depth, counter)} }}")
        if not isinstance(type_, GraphQLInterfaceType):
            return " ".join(parts) or "__typename"
    fields = list(type_.fields.items())
    for name, field in rng.sample(fields, min(len(fields), rng.randint(1, 7))):
        if any(is_non_null_type(arg.type) and arg.default_value is Undefined for arg in field.args.values()):
            continue
        named = get_named_type(field.type)
        if not is_leaf_type(named) and depth <= 0:
            continue
        args = [
            f"{arg}: {rng.choice(_ARGUMENT_CHOICES[arg])}"
            for arg in field.args
            if arg in _ARGUMENT_CHOICES and rng.random() < 0.25
        ]
        counter[0] += 1
        alias = f"r{counter[0]}: " if rng.random() < 0.3 or args else ""
        text = alias + name + (f"({', '.join(args)})" if args else "")
        if not is_leaf_type(named):
            text += f" {{ {_selection(rng, named, depth - 1, counter)} }}"
        parts.append(text)
    return " ".join(parts) or "__typename"


def test_random_selections_match_graphql_core():
    rng = random.Random(20261201)
    store = make_store("~u/other")
    frames = [_burst(store), _batch_frame(store)]
    subscription = graphql_schema.subscription_type
    compared = with_errors = 0
    for _ in range(120):
        query = "subscription { " + _selection(rng, subscription, 4, [0]) + " }"
        if validate(graphql_schema, parse(query), RULES):
            continue  # e.g. two aliases of one field with different arguments
        for frame in frames:
            with_errors += bool(compare(store, query, frame).errors)
        compared += 1
    assert compared >= 100
    assert with_errors >= 5  # bad sort keys: errors are compared too


# -- timing ------------------------------------------------------------------------------


def test_an_8000_task_burst_matches_graphql_core():
    """The web UI's burst at scale: both executors, same data (timings: benchmarks/resolve_burst.py)."""
    store = Store()
    store.ensure(BIG_WF).load_snapshot(big_workflow())
    frame = DeltaFrame.burst(store.get(BIG_WF))
    document = parse(WORKFLOW_SUBSCRIPTION)
    variables = {"workflowId": BIG_WF}
    compiled = compile_operation(graphql_schema, document, None, variables)
    assert compiled is not None

    def context() -> ResolveContext:
        return ResolveContext(store=store, owner="u", strip_null=True)

    core = execute(
        graphql_schema, document, root_value=frame, context_value=context(),
        variable_values=variables, is_awaitable=is_awaitable,
    )
    fast = compiled.execute(frame, context())
    fused = compiled.execute(frame, context(), strip_nulls=True)
    assert fast.data == core.data and fused.data == strip_nulls(core.data)
    assert len(fused.data["deltas"]["added"]["taskProxies"]) == 8000


def test_a_long_list_is_encoded_as_it_resolves():
    """With ``encode_lists_over``, the proxies' dicts never all exist at once."""
    store = Store()
    store.ensure(BIG_WF).load_snapshot(big_workflow(cycles=200))
    frame = DeltaFrame.burst(store.get(BIG_WF))
    compiled = compile_operation(
        graphql_schema, parse(WORKFLOW_SUBSCRIPTION), None, {"workflowId": BIG_WF}
    )
    assert compiled is not None

    def resolve(encode_lists_over: int) -> tuple[bytes, int]:
        context = ResolveContext(store=store, owner="u", strip_null=True, strip_result=True)
        context.encode_lists_over = encode_lists_over
        gc.collect()
        tracemalloc.start()
        try:
            result = compiled.execute(frame, context, strip_nulls=True)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.errors is None
        added = result.data["deltas"]["added"]
        assert isinstance(added["taskProxies"], EncodedList) == (encode_lists_over > 0)
        return encode_result({"data": result.data}), peak

    resolve(0)  # specialises the generated functions (their memory is not the frame's)
    whole, whole_peak = resolve(0)
    encoded, encoded_peak = resolve(100)
    assert encoded == whole
    assert len(json.loads(encoded)["data"]["deltas"]["added"]["taskProxies"]) == 2000
    # The resolved dicts of a burst outweigh its JSON several times over.
    assert encoded_peak < whole_peak / 2, (encoded_peak, whole_peak)


def test_the_hub_reuses_recent_compilations():
    """Reopening a workspace (same document and variables) skips the compiler."""
    from uiserver.graphql.subscriptions import SubscriptionHub, SubscriptionKey

    hub = SubscriptionHub(graphql_schema, Store(), None, None)  # type: ignore[arg-type]
    document = parse(WORKFLOW_SUBSCRIPTION)
    key = SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, {"workflowId": WF})
    first = hub.compiled_operation(key, document, {"workflowId": WF})
    assert first is not None
    assert hub.compiled_operation(key, parse(WORKFLOW_SUBSCRIPTION), {"workflowId": WF}) is first
    other = SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, {"workflowId": "~u/other"})
    assert hub.compiled_operation(other, document, {"workflowId": "~u/other"}) is not first
    for n in range(hub.COMPILED_CACHE):
        variables = {"workflowId": f"~u/w{n}"}
        hub.compiled_operation(SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, variables), document, variables)
    assert len(hub._compiled) == hub.COMPILED_CACHE
    assert hub.compiled_operation(key, document, {"workflowId": WF}) is not first  # evicted


def test_a_fallback_is_remembered_by_the_hub():
    """A document that fell back to graphql-core is not compiled (and failed) again."""
    from uiserver.graphql.subscriptions import SubscriptionHub, SubscriptionKey

    hub = SubscriptionHub(graphql_schema, Store(), None, None)  # type: ignore[arg-type]
    document = parse(WORKFLOW_SUBSCRIPTION)
    key = SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, {"workflowId": WF})
    assert hub.compiled_operation(key, document, {"workflowId": WF}) is not None
    hub.compiled_unsupported(key)
    assert hub.compiled_operation(key, document, {"workflowId": WF}) is None
    other = SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, {"workflowId": "~u/other"})
    hub.compiled_unsupported(other)  # never compiled: nothing to remember
    assert other not in hub._compiled


def test_a_subscription_that_goes_async_falls_back_and_tells_the_hub():
    """The frame is still resolved (by graphql-core), and the next subscription of
    the same document starts on graphql-core instead of failing again."""
    from uiserver.graphql.selection import plan_subscription
    from uiserver.graphql.subscriptions import SharedSubscription, SubscriptionHub, SubscriptionKey

    store = make_store()
    hub = SubscriptionHub(
        graphql_schema, store, None,  # type: ignore[arg-type]
        lambda strip: ResolveContext(store=store, owner="u", strip_null=strip),
    )
    document = parse(WORKFLOW_SUBSCRIPTION)
    operation = document.definitions[0]
    variables = {"workflowId": WF}
    key = SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, variables)
    plan = plan_subscription(graphql_schema, operation, {}, variables)

    def finish(result, context, *, stripped=False):
        return {"data": result.data}

    shared = SharedSubscription(hub, key, document, operation, variables, plan, finish)
    assert shared.compiled

    class GoesAsync:
        def execute(self, *args, **kwargs):
            raise NotSynchronous(None)

    shared._compiled = GoesAsync()  # type: ignore[assignment]
    data = shared.resolve(DeltaFrame.burst(store.get(WF)))
    assert data is not None and json.loads(data)["data"]["deltas"]["added"]["workflow"]["id"] == WF
    assert not shared.compiled
    again = SharedSubscription(hub, key, document, operation, variables, plan, finish)
    assert not again.compiled
