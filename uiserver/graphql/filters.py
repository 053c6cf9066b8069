"""The common query arguments: workflow globs, node filters, sorting and ``nodesEdges``.

These are pure functions over protobuf elements so that the schema can apply
them to the live replica and to subscription frames alike (web-api §5).

Semantics follow the reference resolvers (cylc-flow 8.5.4), with these
deliberate differences:

- ``isRunahead`` filters (the reference accepts it and ignores it);
- an ``ids`` pattern with a job part never matches a task or family proxy
  (the reference raises a ``TypeError``);
- ``ids`` patterns may be full ids (``~user/WF//cycle/task``), the workflow
  part then being matched too (the reference refuses them in most places);
- a job part of ``NN`` selects the latest submission among the given jobs of
  each task instance, as it does for history queries (web-api §10.2).

Element ids are universal ids (protocol §5.2): ``~user/WF//cycle/task/NN``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from google.protobuf.descriptor import FieldDescriptor

from uiserver.scheduler.messages import Message, PbEdge, PbTaskProxy
from uiserver.workflows.patterns import Matcher, match_workflows
from uiserver.workflows.patterns import optional_glob as _optional_glob
from uiserver.workflows.patterns import split_selector as _split_selector
from uiserver.workflows.patterns import split_workflow_id as _split_workflow

if TYPE_CHECKING:
    from uiserver.store.replica import WorkflowReplica

__all__ = [
    "LATEST_JOB",
    "filter_nodes",
    "match_workflows",
    "nodes_edges",
    "relative_id",
    "sort_elements",
    "to_snake_case",
    "workflow_id_of",
]

#: The job part that means "the latest submission".
LATEST_JOB: Final = "NN"

_SEP: Final = "//"


# ---------------------------------------------------------------- ids


def workflow_id_of(element_id: str) -> str:
    """Return the workflow part of a universal id (``~u/wf//1/a`` -> ``~u/wf``)."""
    return element_id.split(_SEP, 1)[0]


def relative_id(element_id: str) -> str:
    """Return the part after ``//`` (``~u/wf//1/a/01`` -> ``1/a/01``); ``""`` if none."""
    _, sep, rel = element_id.partition(_SEP)
    return rel if sep else ""


# ---------------------------------------------------------------- nodes


@dataclass(frozen=True, slots=True)
class _NodePattern:
    user: Matcher | None
    workflow: Matcher | None
    cycle: Matcher | None
    task: Matcher | None
    job: Matcher | None
    latest_job: bool
    selector: str | None
    null: bool = False


_NULL_NODE_PATTERN: Final = _NodePattern(None, None, None, None, None, False, None, True)


def _parse_workflow_part(head: str) -> tuple[Matcher | None, Matcher | None]:
    user, name = _split_workflow(head.strip())
    name, _ = _split_selector(name)
    return _optional_glob(user.strip() if user else None), _optional_glob(name)


@lru_cache(maxsize=1024)
def _parse_node_pattern(text: str, definition: bool) -> _NodePattern:
    """Parse a node glob: relative ``cycle[/task[/job]]`` or a full id, ``:state`` per level.

    For definitions (tasks, families) the relative part is just the name
    (``$namespace|`` prefix allowed). Raises ValueError for more than three levels.
    """
    text = text.strip()
    user = workflow = None
    if _SEP in text:
        head, text = text.split(_SEP, 1)
        user, workflow = _parse_workflow_part(head)
    if not text and user is None and workflow is None:
        return _NULL_NODE_PATTERN
    if definition:
        name, _ = _split_selector(text.removeprefix("$namespace|"))
        return _NodePattern(user, workflow, None, _optional_glob(name), None, False, None)
    parts = text.split("/") if text else []
    if len(parts) > 3:
        raise ValueError(f"Invalid node ID (expected cycle/task/job): {text!r}")
    values: list[str | None] = [None, None, None]
    selector = None
    for index, part in enumerate(parts):
        value, part_selector = _split_selector(part)
        values[index] = value or None
        # The reference tests the highest level's selector only.
        selector = selector or part_selector
    cycle, task, job = values
    latest = job == LATEST_JOB
    return _NodePattern(
        user, workflow, _optional_glob(cycle), _optional_glob(task),
        None if latest else _optional_glob(job), latest, selector,
    )


@dataclass(frozen=True, slots=True)
class _Kind:
    """Which filters apply to an element type."""

    definition: bool = False
    state: bool = False
    flags: bool = False
    depth: bool = False
    graph_depth: bool = False
    ids: bool = True


_KINDS: Final[dict[str, _Kind]] = {
    "task_proxies": _Kind(state=True, flags=True, depth=True, graph_depth=True),
    "family_proxies": _Kind(state=True, flags=True, depth=True, graph_depth=True),
    "jobs": _Kind(state=True),
    "tasks": _Kind(definition=True, depth=True),
    "families": _Kind(definition=True, depth=True),
    # The reference applies nothing but ``sort`` to edges.
    "edges": _Kind(ids=False),
}

_FLAGS: Final = ("is_held", "is_queued", "is_runahead")


_Tokens = tuple[str | None, str, str | None, str | None, str | None]


def _tokens(element: Message, definition: bool, with_workflow: bool) -> _Tokens:
    """Return ``(user, workflow, cycle, task, job)`` of an element, from its id.

    The workflow parts are only split out ``with_workflow`` (else ``None, ""``).
    """
    head, _, rel = element.id.partition(_SEP)
    user, name = _split_workflow(head) if with_workflow else (None, "")
    if definition:
        return user, name, None, element.name or rel.rpartition("|")[2], None
    parts = rel.split("/", 2)
    return (
        user, name, parts[0],
        parts[1] if len(parts) > 1 else None,
        parts[2] if len(parts) > 2 else None,
    )


def _matches_id(
    pattern: _NodePattern,
    tokens: _Tokens,
    state: str | None,
    latest: set[str] | None,
    element_id: str,
) -> bool:
    if pattern.null:
        return False
    user, workflow, cycle, task, job = tokens
    if pattern.user is not None and (user is None or not pattern.user(user)):
        return False
    if pattern.workflow is not None and not pattern.workflow(workflow):
        return False
    if pattern.cycle is not None and (cycle is None or not pattern.cycle(cycle)):
        return False
    if pattern.task is not None and (task is None or not pattern.task(task)):
        return False
    if pattern.job is not None and (job is None or not pattern.job(job)):
        return False
    if pattern.latest_job and (job is None or latest is None or element_id not in latest):
        return False
    return pattern.selector is None or state is None or state == pattern.selector


def _latest_jobs(jobs: list[Message]) -> set[str]:
    """Ids of the highest submission of each task instance among ``jobs``."""
    best: dict[str, tuple[int, str]] = {}
    for job in jobs:
        instance, _, number = job.id.rpartition("/")
        try:
            submit = int(number)
        except ValueError:
            submit = job.submit_num
        if instance not in best or submit > best[instance][0]:
            best[instance] = (submit, job.id)
    return {job_id for _, job_id in best.values()}


def _off(value: Any) -> bool:
    """True when an integer depth argument is missing or negative (= no filter)."""
    return value is None or value < 0


def filter_nodes(
    elements: Iterable[Message],
    type_name: str,
    args: Mapping[str, Any],
    state_of: Callable[[Message], str | None] | None = None,
) -> list[Message]:
    """Return the elements of type ``type_name`` that pass the query arguments, sorted.

    ``args`` are resolver kwargs in snake_case: ``ids, exids, states, exstates,
    is_held, is_queued, is_runahead, mindepth, maxdepth, graph_depth, sort``;
    missing or None arguments (and depths of -1) do not filter, arguments that
    do not apply to the type are ignored. An element without a ``state`` field
    (e.g. an ``updated`` delta) gets its state from ``state_of`` if given, and
    otherwise passes every state test, as in the reference.

    With nothing to filter or sort, ``elements`` itself is returned when it is
    a list. Raises ValueError for a malformed id pattern or sort key.
    """
    kind = _KINDS.get(type_name)
    if kind is None:
        raise ValueError(f"Unknown element type: {type_name!r}")
    get = args.get
    states = set(get("states") or ()) if kind.state else set()
    exstates = set(get("exstates") or ()) if kind.state else set()
    flags = (
        [(name, get(name)) for name in _FLAGS if get(name) is not None] if kind.flags else []
    )
    mindepth = get("mindepth") if kind.depth and not _off(get("mindepth")) else None
    maxdepth = get("maxdepth") if kind.depth and not _off(get("maxdepth")) else None
    graph_depth = (
        get("graph_depth") if kind.graph_depth and not _off(get("graph_depth")) else None
    )
    ids = [_parse_node_pattern(p, kind.definition) for p in get("ids") or ()] if kind.ids else []
    exids = (
        [_parse_node_pattern(p, kind.definition) for p in get("exids") or ()] if kind.ids else []
    )
    sort = get("sort")

    no_depths = mindepth is None and maxdepth is None and graph_depth is None
    if no_depths and not (states or exstates or flags or ids or exids):
        if sort:
            return sort_elements(elements, sort)
        return elements if isinstance(elements, list) else list(elements)

    if not isinstance(elements, list):
        elements = list(elements)
    latest = (
        _latest_jobs(elements)
        if type_name == "jobs" and any(p.latest_job for p in (*ids, *exids))
        else None
    )
    with_workflow = any(p.user is not None or p.workflow is not None for p in (*ids, *exids))
    need_state = kind.state and bool(states or exstates or ids or exids)
    result = []
    for element in elements:
        state: str | None = None
        if need_state:
            if element.HasField("state"):
                state = element.state
            elif state_of is not None:
                state = state_of(element)
            if state is not None:
                if states and state not in states:
                    continue
                if state in exstates:
                    continue
        if flags and any(getattr(element, name) != want for name, want in flags):
            continue
        if mindepth is not None and element.depth < mindepth:
            continue
        if maxdepth is not None and element.depth > maxdepth:
            continue
        if graph_depth is not None and element.graph_depth > graph_depth:
            continue
        if ids or exids:
            tokens = _tokens(element, kind.definition, with_workflow)
            element_id = element.id
            if ids and not any(_matches_id(p, tokens, state, latest, element_id) for p in ids):
                continue
            if any(_matches_id(p, tokens, state, latest, element_id) for p in exids):
                continue
        result.append(element)
    return sort_elements(result, sort) if sort else result


# ---------------------------------------------------------------- sorting

_CAMEL_1: Final = re.compile(r"(.)([A-Z][a-z]+)")
_CAMEL_2: Final = re.compile(r"([a-z0-9])([A-Z])")


def to_snake_case(name: str) -> str:
    """Convert a GraphQL field name to the protobuf one (``cyclePoint`` -> ``cycle_point``)."""
    return _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", name)).lower()


def _sort_args(sort: Any) -> tuple[list[str], bool]:
    """Read ``keys`` and ``reverse`` from a dict or a graphene ``SortArgs`` input."""
    if isinstance(sort, Mapping):
        keys, reverse = sort.get("keys"), sort.get("reverse")
    else:
        keys, reverse = getattr(sort, "keys", None), getattr(sort, "reverse", None)
    return (["id"] if keys is None else list(keys)), bool(reverse)


def _row_sort_key(row: Mapping[str, Any], keys: list[str]) -> Callable[[Any], Any]:
    """Sort key for dict rows (history results); None sorts before any value."""
    unknown = [key for key in keys if key not in row]
    if unknown:
        raise ValueError(
            f"The following sort keys are not in the schema: {', '.join(unknown)}"
        )
    return lambda r: tuple((r[key] is not None, r[key]) for key in keys)


def _sort_key(element: Any, keys: list[str]) -> Callable[[Any], Any]:
    if isinstance(element, Mapping):
        return _row_sort_key(element, keys)
    fields = element.DESCRIPTOR.fields_by_name
    unknown = [key for key in keys if key not in fields]
    if unknown:
        raise ValueError(
            f"The following sort keys are not in the schema: {', '.join(unknown)}"
        )
    for key in keys:
        field = fields[key]
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            raise ValueError(f"Cannot sort by {key}")
    repeated = [fields[key].label == FieldDescriptor.LABEL_REPEATED for key in keys]
    if not any(repeated):
        return attrgetter(*keys)
    # Repeated containers do not compare; tuples do.
    getters = [(attrgetter(key), rep) for key, rep in zip(keys, repeated)]
    return lambda el: tuple(tuple(get(el)) if rep else get(el) for get, rep in getters)


def sort_elements(elements: Iterable[Message], sort: Any) -> list[Message]:
    """Return ``elements`` sorted by ``sort`` (``{"keys": [...], "reverse": bool}``).

    Elements are protobuf messages or dicts with snake_case keys (the rows of
    ``uiserver.history``). Keys are GraphQL (camelCase) or snake_case names; a
    missing ``keys`` means ``["id"]``. ``sort=None`` keeps the input order.
    The sort is stable. Raises ValueError for an empty key list or unknown keys.
    """
    result = list(elements)
    if not sort:
        return result
    keys, reverse = _sort_args(sort)
    if not keys:
        raise ValueError("You must provide at least one key to sort")
    if not result:
        return result
    keys = [to_snake_case(key) for key in keys]
    result.sort(key=_sort_key(result[0], keys), reverse=reverse)
    return result


# ---------------------------------------------------------------- nodesEdges


def nodes_edges(
    replica: WorkflowReplica,
    roots: list[PbTaskProxy],
    distance: int,
) -> tuple[list[PbTaskProxy], list[PbEdge]]:
    """Walk the graph from ``roots`` out to ``distance`` edges, in both directions.

    As in the reference, each step follows the ``edges`` listed on the nodes
    reached by the previous step (edges missing from the replica are skipped)
    and the walk stops early when a step reaches no new node. Returns the
    roots followed by the task proxies reached, in the order reached, and
    the edges traversed; a distance of 0 or less returns just the roots.
    """
    proxies = replica.elements["task_proxies"]
    all_edges = replica.elements["edges"]
    nodes = list(roots)
    node_ids = {node.id for node in nodes}
    edges: list[PbEdge] = []
    edge_ids: set[str] = set()
    frontier = nodes
    for _ in range(max(distance, 0)):
        new_edges = []
        for node in frontier:
            for edge_id in node.edges:
                if edge_id in edge_ids:
                    continue
                edge_ids.add(edge_id)
                edge = all_edges.get(edge_id)
                if edge is not None:
                    new_edges.append(edge)
        edges.extend(new_edges)
        new_ids = []
        for edge in new_edges:
            for node_id in (edge.source, edge.target):
                if node_id not in node_ids:
                    node_ids.add(node_id)
                    new_ids.append(node_id)
        if not new_ids:
            break
        frontier = [proxies[node_id] for node_id in new_ids if node_id in proxies]
        nodes.extend(frontier)
    return nodes, edges
