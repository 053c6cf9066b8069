"""The ``deltas`` subscription's types, resolved from a :class:`DeltaFrame` (web-api §7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import graphene

from uiserver.scheduler.messages import Message

from . import args as A
from .frames import DeltaFrame
from .resolvers import filtered
from .types import Family, FamilyProxy, Job, Edge, Task, TaskProxy, Workflow

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

__all__ = ["Added", "Delta", "Deltas", "Pruned", "Section", "Updated"]


class Section:
    """One section (``added`` or ``updated``) of a frame: the root of ``Added``/``Updated``."""

    __slots__ = ("frame", "name")

    def __init__(self, frame: DeltaFrame, name: str) -> None:
        self.frame = frame
        self.name = name


def _section_elements(
    section: Section, info: GraphQLResolveInfo, type_name: str, args: dict[str, Any]
) -> list[Message]:
    frame = section.frame
    if not args.get("delta_store", True):
        replica = info.context.store.get(frame.workflow_id)
        if replica is None:
            return []
        if type_name == "workflow":
            return [replica.workflow]
        return list(replica.elements[type_name].values())
    delta_type = args.get("delta_type") or section.name
    if delta_type == "added":
        return frame.added.get(type_name) or []
    if delta_type == "updated":
        return frame.updated.get(type_name) or []
    return []


def _section_list(type_name: str):
    def resolve(root: Section, info: GraphQLResolveInfo, **args: Any) -> list[Message]:
        elements = _section_elements(root, info, type_name, args)
        if not elements:
            return elements
        return filtered(elements, type_name, args)

    return resolve


def _section_workflow(root: Section, info: GraphQLResolveInfo, **args: Any) -> Message | None:
    elements = _section_elements(root, info, "workflow", args)
    return elements[0] if elements else None


def _delta_fields(delta_type: str) -> dict[str, Any]:
    """The fields of ``Added``/``Updated``/``Delta``, defaulting ``deltaType`` to ``delta_type``."""

    def more() -> dict[str, Any]:
        return {**A.strip_arg(), **A.delta_args(True, delta_type)}

    def field(type_: Any, type_name: str, args: dict[str, Any]) -> graphene.Field:
        return graphene.Field(
            graphene.List(type_), args={**args, **more()}, resolver=_section_list(type_name)
        )

    return {
        "families": field(Family, "families", A.def_args()),
        "family_proxies": field(FamilyProxy, "family_proxies", A.proxy_args()),
        "jobs": field(Job, "jobs", A.job_args()),
        "tasks": field(Task, "tasks", A.def_args()),
        "task_proxies": field(TaskProxy, "task_proxies", A.proxy_args()),
        "edges": field(Edge, "edges", A.edge_args()),
        "workflow": graphene.Field(Workflow, args=more(), resolver=_section_workflow),
    }


def _delta_resolve_type(cls: type, instance: Any, info: GraphQLResolveInfo) -> Any:
    return Updated if getattr(instance, "name", "") == "updated" else Added


#: Elements of one frame section, per type.
Delta = type(
    "Delta",
    (graphene.Interface,),
    {
        "__doc__": "Elements of one frame section, per type.",
        "resolve_type": classmethod(_delta_resolve_type),
        **_delta_fields("added"),
    },
)


def _delta_type(name: str, doc: str, delta_type: str) -> type:
    meta = type("Meta", (), {"interfaces": (Delta,)})
    return type(
        name, (graphene.ObjectType,), {"__doc__": doc, "Meta": meta, **_delta_fields(delta_type)}
    )


Added = _delta_type(
    "Added", "Complete new elements (in an initial burst: every element of the workflow).", "added"
)
Updated = _delta_type("Updated", "Partial elements: the id plus the fields that changed.", "updated")


def _pruned(type_name: str):
    def resolve(root: DeltaFrame, info: GraphQLResolveInfo) -> list[str]:
        return root.pruned.get(type_name) or []

    return resolve


class Pruned(graphene.ObjectType):
    """Ids of removed elements, per type."""

    workflow = graphene.String(description="The workflow's id, set only when it is removed.")
    families = graphene.List(graphene.String, resolver=_pruned("families"))
    family_proxies = graphene.List(graphene.String, resolver=_pruned("family_proxies"))
    jobs = graphene.List(graphene.String, resolver=_pruned("jobs"))
    tasks = graphene.List(graphene.String, resolver=_pruned("tasks"))
    task_proxies = graphene.List(graphene.String, resolver=_pruned("task_proxies"))
    edges = graphene.List(graphene.String, resolver=_pruned("edges"))

    @staticmethod
    def resolve_workflow(root: DeltaFrame, info: GraphQLResolveInfo) -> str | None:
        ids = root.pruned.get("workflow")
        return ids[0] if ids else None


class Deltas(graphene.ObjectType):
    """One frame of one workflow's changes."""

    id = graphene.ID(description="The workflow's id.")
    shutdown = graphene.Boolean(description="The scheduler has shut down.")
    added = graphene.Field(Added, args=A.strip_arg())
    updated = graphene.Field(Updated, args=A.strip_arg())
    pruned = graphene.Field(Pruned, args=A.strip_arg())

    @staticmethod
    def resolve_id(root: DeltaFrame, info: GraphQLResolveInfo) -> str:
        return root.workflow_id

    @staticmethod
    def resolve_shutdown(root: DeltaFrame, info: GraphQLResolveInfo) -> bool:
        return root.shutdown

    @staticmethod
    def resolve_added(root: DeltaFrame, info: GraphQLResolveInfo, **args: Any) -> Section:
        _enter_section(info, args)
        return Section(root, "added")

    @staticmethod
    def resolve_updated(root: DeltaFrame, info: GraphQLResolveInfo, **args: Any) -> Section:
        _enter_section(info, args)
        return Section(root, "updated")

    @staticmethod
    def resolve_pruned(root: DeltaFrame, info: GraphQLResolveInfo, **args: Any) -> DeltaFrame:
        _enter_section(info, args)
        return root


def _enter_section(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
    """Apply the section's ``stripNull`` (else the ``deltas`` one) to its subtree.

    Both executors resolve synchronously and depth first, so the subtree is
    complete before the next section sets the flag again. This is what keeps
    the fields of complete ``added`` elements at their defaults (``isHeld:
    false``) while partial ``updated`` elements leave unchanged fields out.
    """
    context = info.context
    own = args.get("strip_null")
    context.strip_null = bool(own) if own is not None else context.deltas_strip
