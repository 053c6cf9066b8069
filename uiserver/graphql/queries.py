"""Resolvers of the root query fields, shared by the per-type subscriptions (web-api §5, §8).

Queries read the live replicas. Under a subscription (root value a
:class:`DeltaFrame`) the same resolvers are restricted to the frame's
workflow, and ``deltaStore: true`` makes them read the frame's ``deltaType``
section instead of the live replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from graphql import GraphQLError

from uiserver.history import HistoryError, job_rows, public_db_path, task_stats
from uiserver.scheduler.messages import Message

from .filters import filter_nodes, match_workflows, nodes_edges, sort_elements
from .frames import DeltaFrame
from .resolvers import element_source, filter_args, filtered, workflow_id_of
from .types import NodesEdgesResult

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

__all__ = [
    "element_list",
    "resolve_command_log",
    "resolve_edges",
    "resolve_element",
    "resolve_jobs",
    "resolve_log_files",
    "resolve_logs",
    "resolve_nodes_edges",
    "resolve_tasks",
    "resolve_workflows",
]

_NO_WORKFLOWS: Final = "At least one workflow must be provided."
_DEFINITIONS: Final = frozenset({"tasks", "families"})


def _frame(info: GraphQLResolveInfo) -> DeltaFrame | None:
    root = info.root_value
    return root if isinstance(root, DeltaFrame) else None


def _workflow_ids(
    info: GraphQLResolveInfo, workflows: list[str] | None, exworkflows: list[str] | None
) -> list[str]:
    """Ids of the replicas matching the globs (only the frame's, in a subscription)."""
    store = info.context.store
    frame = _frame(info)
    candidates: Iterable[str] = [frame.workflow_id] if frame is not None else list(store.replicas)
    return match_workflows(candidates, workflows or [], exworkflows or [], store.status_of)


def _from_frame(info: GraphQLResolveInfo, args: dict[str, Any]) -> tuple[DeltaFrame, str] | None:
    """The frame and section to read, when ``deltaStore`` asks for it."""
    frame = _frame(info)
    if frame is None or not args.get("delta_store"):
        return None
    return frame, args.get("delta_type") or "added"


def _section(frame: DeltaFrame, section: str, type_name: str) -> list[Message]:
    if section == "added":
        return frame.added.get(type_name) or []
    if section == "updated":
        return frame.updated.get(type_name) or []
    return []


def element_list(info: GraphQLResolveInfo, type_name: str, args: dict[str, Any]) -> list[Message]:
    """Elements of ``type_name`` in every matched workflow, unfiltered."""
    ids = _workflow_ids(info, args.get("workflows"), args.get("exworkflows"))
    source = _from_frame(info, args)
    if source is not None:
        frame, section = source
        return list(_section(frame, section, type_name)) if ids else []
    store = info.context.store
    elements: list[Message] = []
    for workflow_id in ids:
        replica = store.get(workflow_id)
        if replica is not None:
            elements.extend(replica.elements[type_name].values())
    return elements


def _list_resolver(type_name: str):
    def resolve(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Message]:
        elements = element_list(info, type_name, args)
        try:
            return filtered(elements, type_name, args)
        except ValueError as exc:
            raise GraphQLError(str(exc)) from None

    return resolve


resolve_task_proxies = _list_resolver("task_proxies")
resolve_family_proxies = _list_resolver("family_proxies")
resolve_families = _list_resolver("families")
_live_jobs = _list_resolver("jobs")
_live_tasks = _list_resolver("tasks")


def resolve_edges(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Message]:
    """``edges``: every edge of the matched workflows, optionally sorted."""
    elements = element_list(info, "edges", args)
    sort = filter_args(args).get("sort")
    try:
        return sort_elements(elements, sort) if sort else elements
    except ValueError as exc:
        raise GraphQLError(str(exc)) from None


def _normalise_id(info: GraphQLResolveInfo, element_id: str) -> str:
    """Accept ``WF//...`` for ``~owner/WF//...``."""
    if element_id and not element_id.startswith("~"):
        return f"~{info.context.owner}/{element_id}"
    return element_id


def resolve_element(type_name: str):
    """A resolver of ``<type>(id: ID!)``: one element by universal id, or null."""

    def resolve(root: Any, info: GraphQLResolveInfo, id: str, **args: Any) -> Message | None:
        element_id = _normalise_id(info, id)
        workflow_id = workflow_id_of(element_id)
        frame = _frame(info)
        if frame is not None and frame.workflow_id != workflow_id:
            return None
        source = element_source(
            info, type_name, workflow_id, bool(args.get("delta_store")),
            args.get("delta_type") or "added",
        )
        element = source.get(element_id)
        if element is None and type_name in _DEFINITIONS and "//" in element_id:
            # A definition may be named like a proxy: ``WF//NAME`` or ``WF//cycle/NAME``.
            relative = element_id.split("//", 1)[1]
            if not relative.startswith("$namespace|"):
                name = relative.rpartition("/")[2]
                element = source.get(f"{workflow_id}//$namespace|{name}")
        return element

    return resolve


def resolve_workflows(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Message]:
    """``workflows(ids, exids)``: the matched workflows (the frame's, in a subscription)."""
    ids = _workflow_ids(info, args.get("ids"), args.get("exids"))
    source = _from_frame(info, args)
    if source is not None:
        frame, section = source
        return list(_section(frame, section, "workflow")) if ids else []
    store = info.context.store
    return [store.replicas[workflow_id].workflow for workflow_id in ids if workflow_id in store.replicas]


def resolve_nodes_edges(root: Any, info: GraphQLResolveInfo, **args: Any) -> NodesEdgesResult:
    """``nodesEdges``: the filtered task proxies and the graph around them."""
    store = info.context.store
    nodes: list[Message] = []
    edges: list[Message] = []
    args = filter_args(args)
    try:
        for workflow_id in _workflow_ids(info, args.get("workflows"), args.get("exworkflows")):
            replica = store.get(workflow_id)
            if replica is None:
                continue
            roots = filter_nodes(
                list(replica.elements["task_proxies"].values()), "task_proxies", args
            )
            found_nodes, found_edges = nodes_edges(replica, roots, args.get("distance", 1))
            nodes.extend(found_nodes)
            edges.extend(found_edges)
    except ValueError as exc:
        raise GraphQLError(str(exc)) from None
    return NodesEdgesResult(nodes, edges)


# -- history (live: false) -----------------------------------------------------


def _history_targets(info: GraphQLResolveInfo, args: dict[str, Any]) -> list[tuple[str, Path]]:
    """``(workflow id, database path)`` of each matched workflow of the registry."""
    workflows = args.get("workflows") or []
    if not workflows:
        raise GraphQLError(_NO_WORKFLOWS)
    registry = info.context.registry
    if registry is None:
        return []
    entries = registry.entries

    def status_of(workflow_id: str) -> str:
        entry = entries.get(workflow_id)
        return entry.status_msg if entry is not None else ""

    matched = match_workflows(list(entries), workflows, args.get("exworkflows") or [], status_of)
    return [(workflow_id, public_db_path(entries[workflow_id].path)) for workflow_id in matched]


async def _read_history(read: Any, *read_args: Any) -> list[dict[str, Any]]:
    """Run a blocking history read in a worker thread; its errors become GraphQL errors."""
    try:
        return await asyncio.to_thread(read, *read_args)
    except (HistoryError, ValueError) as exc:
        raise GraphQLError(str(exc)) from None


async def resolve_tasks(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Any]:
    """``tasks``: task definitions, or (``live: false``) job statistics from the database."""
    if args.get("live", True):
        return _live_tasks(root, info, **args)
    rows: list[dict[str, Any]] = []
    for workflow_id, db_path in _history_targets(info, args):
        rows.extend(await _read_history(task_stats, db_path, workflow_id))
    return rows


async def resolve_jobs(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Any]:
    """``jobs``: live jobs, or (``live: false``) job rows from the database."""
    if args.get("live", True):
        return _live_jobs(root, info, **args)
    rows: list[dict[str, Any]] = []
    for workflow_id, db_path in _history_targets(info, args):
        rows.extend(
            await _read_history(
                job_rows,
                db_path,
                workflow_id,
                list(args.get("ids") or []),
                list(args.get("exids") or []),
                list(args.get("states") or []),
                list(args.get("exstates") or []),
                list(args.get("tasks") or []),
            )
        )
    return rows


def resolve_subscription_jobs(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Any]:
    """The ``jobs`` subscription: live (or frame) jobs only."""
    return _live_jobs(root, info, **args)


def resolve_subscription_tasks(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Any]:
    """The ``tasks`` subscription: live (or frame) task definitions only."""
    return _live_tasks(root, info, **args)


# -- logs and the audit log -------------------------------------------------------


def resolve_log_files(root: Any, info: GraphQLResolveInfo, id: str) -> dict[str, list[str]]:
    """``logFiles``: not implemented yet (log access is a separate piece of work)."""
    return {"files": []}


def resolve_logs(root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    """``logs``: log streaming is not implemented yet."""
    return {"error": "Log streaming is not available yet", "connected": False}


def resolve_command_log(root: Any, info: GraphQLResolveInfo, limit: int = 100) -> list[Any]:
    """``commandLog``: the newest commands issued through this server."""
    commands = info.context.commands
    if commands is None:
        raise GraphQLError("Commands are not available")
    return list(commands.audit.entries(limit))
