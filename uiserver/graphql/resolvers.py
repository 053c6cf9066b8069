"""Shared resolving helpers: the fast protobuf field resolver, id lookups, relations.

Resolution runs for every field of every element of a burst (~100k fields
for 8000 task proxies), so the per-field path is a closure that does one
dict lookup, at most one ``HasField`` and one ``getattr``, and never raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from google.protobuf.descriptor import FieldDescriptor
from graphql import GraphQLObjectType, GraphQLSchema

from uiserver.scheduler.messages import (
    Message,
    PbEdge,
    PbFamily,
    PbFamilyProxy,
    PbJob,
    PbTask,
    PbTaskProxy,
    PbWorkflow,
)

from .filters import filter_nodes
from .frames import DeltaFrame

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

    from uiserver.store import WorkflowReplica

__all__ = [
    "Bound",
    "STORE_TYPE_OF",
    "bound_field_resolver",
    "element_source",
    "filter_args",
    "filtered",
    "find_element",
    "live_version",
    "install_fast_resolvers",
    "needs_filter",
    "proto_field_kind",
    "proto_field_of",
    "proto_field_resolver",
    "relation_list",
    "relation_one",
    "replica_of",
    "workflow_id_of",
]

_SEP: Final = "//"

#: protobuf class -> the store's type name.
STORE_TYPE_OF: Final[dict[type, str]] = {
    PbWorkflow: "workflow",
    PbTask: "tasks",
    PbFamily: "families",
    PbTaskProxy: "task_proxies",
    PbFamilyProxy: "family_proxies",
    PbJob: "jobs",
    PbEdge: "edges",
}

# What a field name means on one class, worked out once per (field, class).
_ABSENT, _SINGULAR, _REPEATED, _DICT, _ATTR = range(5)


class Bound:
    """A sub-message together with the workflow it belongs to.

    Used where a nested message (a prerequisite, ``PbEdges``) must resolve a
    relation but carries no element id to find its workflow from.
    """

    __slots__ = ("msg", "workflow_id")

    def __init__(self, msg: Any, workflow_id: str) -> None:
        self.msg = msg
        self.workflow_id = workflow_id


def workflow_id_of(element_id: str) -> str:
    """The workflow part of a universal id (``~u/wf//1/a`` -> ``~u/wf``)."""
    return element_id.split(_SEP, 1)[0]


def _kind(cls: type, name: str) -> int:
    if cls is dict:
        return _DICT
    descriptor = getattr(cls, "DESCRIPTOR", None)
    if descriptor is None:
        return _ATTR
    field = descriptor.fields_by_name.get(name)
    if field is None:
        return _ABSENT
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return _REPEATED
    return _SINGULAR


def _field_resolver(name: str, unwrap: bool):
    """The resolver of plain field ``name`` (see :func:`proto_field_resolver`)."""
    kinds: dict[type, int] = {}

    def resolve(root: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
        if unwrap:
            root = root.msg
        cls = root.__class__
        kind = kinds.get(cls)
        if kind is None:
            kind = kinds[cls] = _kind(cls, name)
        if kind == _SINGULAR:
            if info.context.strip_null and not root.HasField(name):
                return None
            return getattr(root, name)
        if kind == _REPEATED:
            value = getattr(root, name)
            if info.context.strip_null and not value:
                return None
            return value
        if kind == _DICT:
            return root.get(name)
        if kind == _ATTR:
            return getattr(root, name, None)
        return None

    # Lets a compiled executor read the field inline (see proto_field_of).
    resolve.proto_field = (name, unwrap)  # type: ignore[attr-defined]
    return resolve


#: What :func:`proto_field_kind` answers, by kind.
_KIND_NAMES: Final = {
    _ABSENT: "absent", _SINGULAR: "singular", _REPEATED: "repeated", _DICT: "dict", _ATTR: "attr",
}


def proto_field_of(resolver: Any) -> tuple[str, bool] | None:
    """``(field name, unwrap)`` if ``resolver`` is a plain field resolver of ours, else None.

    Such a resolver reads field ``name`` of its root (of ``root.msg`` when
    ``unwrap``) according to :func:`proto_field_kind` of the root's class.
    """
    return getattr(resolver, "proto_field", None)


def proto_field_kind(cls: type, name: str) -> str:
    """How a plain field resolver reads ``name`` on a root of class ``cls``.

    ``singular``: ``getattr``, null if unset under ``strip_null``;
    ``repeated``: ``getattr``, null if empty under ``strip_null``;
    ``dict``: ``root.get(name)``; ``attr``: ``getattr(root, name, None)``;
    ``absent``: null.
    """
    return _KIND_NAMES[_kind(cls, name)]


def proto_field_resolver(attname: str, default_value: Any, root: Any, info: Any, **args: Any) -> Any:
    """Default resolver of protobuf-backed types (``Meta.default_resolver``).

    An unset singular field resolves to its protobuf default, or to null when
    ``info.context.strip_null`` is set; a name the message does not have
    resolves to null; dict roots (history rows) are read by key.
    :func:`install_fast_resolvers` replaces these calls by per-field closures.
    """
    return _field_resolver(attname, False)(root, info, **args)


def bound_field_resolver(attname: str, default_value: Any, root: Any, info: Any, **args: Any) -> Any:
    """As :func:`proto_field_resolver`, for types whose roots are :class:`Bound`."""
    return _field_resolver(attname, True)(root, info, **args)


def install_fast_resolvers(schema: GraphQLSchema) -> int:
    """Replace graphene's ``partial(default_resolver, name, default)`` by closures.

    graphene wraps the default resolver of every field in a ``partial``; for
    our protobuf-backed types we swap it for a closure specialised to the
    field. Returns the number of fields changed.
    """
    changed = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType):
            continue
        for field in type_.fields.values():
            resolve = field.resolve
            if not isinstance(resolve, partial):
                continue
            if resolve.func is proto_field_resolver:
                field.resolve = _field_resolver(resolve.args[0], False)
            elif resolve.func is bound_field_resolver:
                field.resolve = _field_resolver(resolve.args[0], True)
            else:
                continue
            changed += 1
    return changed


# -- lookups -----------------------------------------------------------------


def replica_of(info: GraphQLResolveInfo, element_id: str) -> WorkflowReplica | None:
    """The live replica holding ``element_id`` (a universal id)."""
    return info.context.store.get(workflow_id_of(element_id))


def find_element(info: GraphQLResolveInfo, type_name: str, element_id: str) -> Message | None:
    """The live element ``element_id`` of ``type_name``, if the store has it."""
    replica = info.context.store.get(element_id.split(_SEP, 1)[0])
    if replica is None:
        return None
    if type_name == "workflow":
        return replica.workflow
    return replica.elements[type_name].get(element_id)


class _FrameIndex:
    """``id -> element`` of one frame section, built once per frame."""

    __slots__ = ("frame", "key", "index")

    def __init__(self) -> None:
        self.frame: DeltaFrame | None = None
        self.key: tuple[str, str] | None = None
        self.index: dict[str, Message] = {}

    def get(self, frame: DeltaFrame, section: str, type_name: str) -> dict[str, Message]:
        key = (section, type_name)
        if self.frame is not frame or self.key != key:
            elements = getattr(frame, section).get(type_name, ()) if section != "pruned" else ()
            self.frame, self.key = frame, key
            self.index = {element.id: element for element in elements}
        return self.index


_FRAME_INDEX = _FrameIndex()


def _frame_elements(
    info: GraphQLResolveInfo, type_name: str, delta_store: bool, delta_type: str
) -> dict[str, Message] | None:
    """With ``delta_store`` and a :class:`DeltaFrame` root value, the frame's
    ``delta_type`` section of ``type_name``; otherwise None (use the store)."""
    if delta_store:
        frame = info.root_value
        if isinstance(frame, DeltaFrame):
            return _FRAME_INDEX.get(frame, delta_type, type_name)
    return None


def element_source(
    info: GraphQLResolveInfo,
    type_name: str,
    workflow_id: str,
    delta_store: bool = False,
    delta_type: str = "added",
) -> dict[str, Message]:
    """Where elements of ``type_name`` are looked up: the live replica or the frame.

    With ``delta_store`` and a :class:`DeltaFrame` root value, the frame's
    ``delta_type`` section; otherwise the live replica (empty if unknown).
    """
    elements = _frame_elements(info, type_name, delta_store, delta_type)
    if elements is not None:
        return elements
    replica = info.context.store.get(workflow_id)
    if replica is None:
        return {}
    return replica.elements[type_name]


# -- relations ---------------------------------------------------------------

_LIST_FILTERS: Final = ("ids", "exids", "states", "exstates")
_DEPTH_FILTERS: Final = ("mindepth", "maxdepth", "graph_depth")
_OPTIONAL_FILTERS: Final = ("is_held", "is_queued", "is_runahead", "sort")


def needs_filter(args: dict[str, Any]) -> bool:
    """True if any filter or sort argument asks for something (so lists can skip filtering)."""
    get = args.get
    return (
        any(get(name) for name in _LIST_FILTERS)
        or any((get(name) if get(name) is not None else -1) >= 0 for name in _DEPTH_FILTERS)
        or any(get(name) is not None for name in _OPTIONAL_FILTERS)
    )


def filter_args(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` with ``sort`` as a plain dict, ready for ``filter_nodes``."""
    sort = args.get("sort")
    if sort is not None:
        args = dict(args)
        args["sort"] = {"keys": sort.get("keys", ["id"]), "reverse": bool(sort.get("reverse"))}
    return args


def filtered(elements: list[Message], type_name: str, args: dict[str, Any]) -> list[Message]:
    """``elements`` through ``filter_nodes`` when ``args`` ask for anything."""
    if not needs_filter(args):
        return elements
    return filter_nodes(elements, type_name, filter_args(args))


def _live(
    root: Any, info: GraphQLResolveInfo, owner_type: str
) -> tuple[WorkflowReplica | None, Any]:
    """The replica holding ``root`` (None if unknown) and ``root``'s live
    version there (``root`` itself when there is none)."""
    element_id = root.id
    replica = info.context.store.get(element_id.split(_SEP, 1)[0])
    if replica is None:
        return None, root
    if owner_type == "workflow":
        return replica, replica.workflow
    return replica, replica.elements[owner_type].get(element_id, root)


def live_version(root: Any, info: GraphQLResolveInfo, owner_type: str) -> Any:
    """The live version of ``root`` when there is one (partial updates lack lists)."""
    return _live(root, info, owner_type)[1]


def relation_one(owner_type: str, field: str, target_type: str):
    """A resolver following the singular id field ``field`` to a ``target_type`` element.

    When a partial element lacks the field, the live element supplies it
    (web-api §7.4). A missing target resolves to null. Ids never cross
    workflows, so the owner's replica, once found, also holds the target.
    """

    def resolve(root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        if root.__class__ is dict:
            return None  # a history row has no relations
        target_id = getattr(root, field)
        replica = None
        if not target_id:
            if root.HasField(field):
                return None  # set, and empty
            replica, live = _live(root, info, owner_type)
            if live is root:
                return None
            target_id = getattr(live, field)
            if not target_id:
                return None
        source = _frame_elements(
            info, target_type, args.get("delta_store", False), args.get("delta_type", "added")
        )
        if source is None:
            if replica is None:
                replica = info.context.store.get(target_id.split(_SEP, 1)[0])
                if replica is None:
                    return None
            source = replica.elements[target_type]
        return source.get(target_id)

    return resolve


def relation_list(owner_type: str, field: str, target_type: str, ids=None):
    """A resolver following the id list ``field`` to ``target_type`` elements, filtered.

    The list is read from the live element when there is one, because a
    partial element carries only new ids (protocol §6.5). Missing targets
    are skipped. ``ids(owner, info)`` may replace the plain field read.
    Ids never cross workflows: the owner's replica holds the targets.
    """

    def resolve(root: Any, info: GraphQLResolveInfo, **args: Any) -> list[Message]:
        if root.__class__ is dict:
            return []  # a history row has no relations
        replica, owner = _live(root, info, owner_type)
        target_ids: Iterable[str] = (
            ids(owner, info) if ids is not None else getattr(owner, field)
        )
        if not target_ids:
            return []
        source = _frame_elements(
            info, target_type, args.get("delta_store", False), args.get("delta_type", "added")
        )
        if source is None:
            if replica is None:
                return []
            source = replica.elements[target_type]
        get = source.get
        found = [element for element in map(get, target_ids) if element is not None]
        return filtered(found, target_type, args)

    return resolve
