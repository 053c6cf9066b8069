"""What an operation needs from the sync layer, read off its selection.

An operation that only selects workflow-level fields needs the workflow
summary; one that reaches tasks, jobs or the graph needs the full store.
This decides how much of each scheduler we connect to, so it errs towards
FULL whenever it cannot tell.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values

from uiserver.store import StoreChange
from uiserver.sync import Level

from .filters import workflow_id_of

__all__ = [
    "ELEMENT_FIELDS",
    "SubscriptionPlan",
    "fields_of",
    "plan_subscription",
    "root_arguments",
    "workflow_fields_level",
]

#: GraphQL field names of element collections -> store type names.
ELEMENT_FIELDS = {
    "workflow": "workflow",
    "tasks": "tasks",
    "families": "families",
    "taskProxies": "task_proxies",
    "familyProxies": "family_proxies",
    "jobs": "jobs",
    "edges": "edges",
}

#: Fields of ``Workflow`` that reach beyond the workflow summary.
_WORKFLOW_ELEMENT_FIELDS = frozenset(
    {"tasks", "families", "taskProxies", "familyProxies", "jobs", "edges", "nodesEdges"}
)

#: Workflow fields known without talking to the scheduler (from the contact
#: file and the run directory): a query selecting only these needs no demand.
PLACEHOLDER_FIELDS = frozenset(
    {"__typename", "id", "name", "owner", "status", "statusMsg", "host", "port",
     "pubPort", "apiVersion", "cylcVersion"}
)

_SUMMARY_ROOTS = frozenset({"deltas", "workflows"})


def fields_of(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    _seen: frozenset[str] = frozenset(),
) -> Iterator[FieldNode]:
    """Every field node selected directly in ``selection_set``, through fragments."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from fields_of(selection.selection_set, fragments, _seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in _seen:
                yield from fields_of(fragment.selection_set, fragments, _seen | {name})


def _children(
    nodes: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode]
) -> dict[str, list[FieldNode]]:
    children: dict[str, list[FieldNode]] = {}
    for node in nodes:
        for child in fields_of(node.selection_set, fragments):
            children.setdefault(child.name.value, []).append(child)
    return children


def workflow_fields_level(
    nodes: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode]
) -> Level:
    """The level a selection of ``Workflow`` fields needs."""
    names = set(_children(nodes, fragments))
    if names & _WORKFLOW_ELEMENT_FIELDS:
        return Level.FULL
    if names <= PLACEHOLDER_FIELDS:
        return Level.NONE
    return Level.SUMMARY


def root_arguments(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    node: FieldNode,
    variables: dict[str, Any],
) -> dict[str, Any]:
    """A root field's arguments, coerced with defaults applied (GraphQL names)."""
    root_type = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    assert root_type is not None
    field_def = root_type.fields.get(node.name.value)
    if field_def is None:
        return {}
    values = get_argument_values(field_def, node, variables)
    # graphene gives arguments python out-names (initial_burst); key them by
    # their GraphQL names (initialBurst) as the schema spells them.
    return {
        name: values[argument.out_name or name]
        for name, argument in field_def.args.items()
        if (argument.out_name or name) in values
    }


@dataclass(frozen=True, slots=True)
class SubscriptionPlan:
    """How to serve one subscription operation."""

    #: The root field (``deltas``, ``workflows``, ``taskProxies``, ...).
    root: str
    #: Exact workflow ids covered, or None for every workflow (now and later).
    workflows: frozenset[str] | None
    level: Level
    initial_burst: bool
    #: Store type names the selection reads from a frame; None = any change matters.
    types: frozenset[str] | None
    #: ``ignoreInterval``: at most one frame per workflow this often (seconds);
    #: changes in between are merged into the next frame, never dropped.
    interval: float = 0.0

    def wants(self, change: StoreChange) -> bool:
        """Whether ``change`` can alter what this subscription sends."""
        if change.shutdown or change.reloaded or change.pruned.get("workflow"):
            return True
        if self.types is None:
            return not change.is_empty()
        for section in (change.added, change.updated, change.pruned):
            for name, items in section.items():
                if items and name in self.types:
                    return True
        # A task's new mean run time reaches clients through its proxies
        # (DeltaFrame.from_change lists them).
        return "task_proxies" in self.types and bool(change.updated.get("tasks"))


def plan_subscription(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> SubscriptionPlan:
    """Read a (validated) subscription operation's coverage and needs."""
    roots = list(fields_of(operation.selection_set, fragments))
    # Validation guarantees one root field (``__typename`` aside).
    node = next((n for n in roots if n.name.value != "__typename"), roots[0])
    root = node.name.value
    args = root_arguments(schema, operation, node, variables)
    initial_burst = bool(args.get("initialBurst", True))
    interval = max(float(args.get("ignoreInterval") or 0.0), 0.0)
    if root == "deltas":
        ids = args.get("workflows") or []
        workflows = frozenset(i for i in ids if i) or None
        sections = _children([node], fragments)
        types: set[str] = set()
        level = Level.SUMMARY
        for section in ("added", "updated", "pruned"):
            for name, nodes in _children(sections.get(section, []), fragments).items():
                store_name = ELEMENT_FIELDS.get(name)
                if store_name is None:
                    continue
                types.add(store_name)
                if store_name != "workflow":
                    level = Level.FULL
                elif section != "pruned" and workflow_fields_level(nodes, fragments) == Level.FULL:
                    level = Level.FULL
        return SubscriptionPlan(root, workflows, level, initial_burst, frozenset(types), interval)
    if root == "workflows":
        ids = args.get("ids") or []
        workflows = frozenset(i for i in ids if i) or None
        level = max(workflow_fields_level([node], fragments), Level.SUMMARY)
        return SubscriptionPlan(root, workflows, level, initial_burst, None, interval)
    if root == "logs":
        return SubscriptionPlan(root, frozenset(), Level.NONE, initial_burst, frozenset())
    # Per-type subscriptions: a single id names its workflow; otherwise the
    # workflows argument holds exact ids (or nothing: all of them).
    single = args.get("id")
    if single:
        workflows = frozenset({workflow_id_of(str(single))})
    else:
        ids = [w for w in (args.get("workflows") or []) if w]
        workflows = frozenset(ids) if ids and not any(_is_glob(w) for w in ids) else None
    return SubscriptionPlan(root, workflows, Level.FULL, initial_burst, None, interval)


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[:")
