"""Delta merge and prune rules as pure functions on protobuf messages (protocol §6.5, §6.6)."""

from __future__ import annotations

from itertools import compress, count
from typing import Any, Collection, Final, Mapping, MutableMapping, Protocol

from uiserver.scheduler.messages import ELEMENT_CLASSES, Message, PbWorkflow

__all__ = [
    "BACK_REFERENCES",
    "CLEAR_FIELDS",
    "ElementStore",
    "LOG_RECORDS_LIMIT",
    "PendingRemovals",
    "RELATIONSHIP_FIELDS",
    "collect_back_references",
    "dedupe_ids",
    "merge_update",
    "prune_back_references",
    "remove_back_references",
    "remove_ids",
]

#: Fields replaced rather than appended/merged when present in an update
#: (the scheduler's ``CLEAR_FIELD_MAP``). For the workflow all three are also
#: cleared when the update sets ``states_updated``.
CLEAR_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "families": (),
    "family_proxies": ("state_totals", "states"),
    "jobs": ("messages",),
    "tasks": (),
    "task_proxies": ("prerequisites",),
    "edges": (),
    "workflow": ("latest_state_tasks", "state_totals", "states"),
}

#: ``PbWorkflow.log_records`` keeps only this many of the newest records.
LOG_RECORDS_LIMIT: Final = 10

#: Append-only id lists (dotted paths) that deltas extend with new ids only;
#: we de-duplicate them so that a re-applied update cannot double an id.
RELATIONSHIP_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "families": ("proxies",),
    "family_proxies": ("child_tasks", "child_families"),
    "jobs": (),
    "tasks": ("proxies",),
    "task_proxies": ("jobs", "edges"),
    "edges": (),
    "workflow": (
        "tasks", "families", "task_proxies", "family_proxies", "jobs", "edges.edges",
    ),
}

#: For a pruned element of a type: (field of the element holding the owner's
#: id, or None for the workflow; owner type; owner's id-list path) per
#: back-reference to remove.
BACK_REFERENCES: Final[dict[str, tuple[tuple[str | None, str, str], ...]]] = {
    "families": (),
    "family_proxies": (
        ("family", "families", "proxies"),
        ("first_parent", "family_proxies", "child_families"),
        (None, "workflow", "family_proxies"),
    ),
    "jobs": ((None, "workflow", "jobs"),),
    "tasks": (),
    "task_proxies": (
        ("task", "tasks", "proxies"),
        ("first_parent", "family_proxies", "child_tasks"),
        (None, "workflow", "task_proxies"),
    ),
    "edges": (
        ("source", "task_proxies", "edges"),
        ("target", "task_proxies", "edges"),
        (None, "workflow", "edges.edges"),
    ),
    "workflow": (),
}

#: Ids to remove, keyed by (owner type, owner id or "" for the workflow, path).
PendingRemovals = MutableMapping[tuple[str, str, str], set[str]]


class ElementStore(Protocol):
    """What pruning needs of a store: the workflow and the elements by type and id."""

    workflow: PbWorkflow
    elements: Mapping[str, Mapping[str, Message]]


def _repeated_names(cls: type) -> frozenset[str]:
    return frozenset(
        field.name
        for field in cls.DESCRIPTOR.fields
        if field.label == field.LABEL_REPEATED
    )


# Presence differs for repeated/map fields (non-empty) and singular ones
# (HasField); resolve once from the descriptors instead of per update.
_REPEATED: Final = {name: _repeated_names(cls) for name, cls in ELEMENT_CLASSES.items()}


# merge_update runs once per updated element (thousands per batch): its
# per-type field lists are worked out here, once.
#: (clear field, is repeated) per type.
_CLEAR_PLAN: Final = {
    name: tuple((field, field in _REPEATED[name]) for field in fields)
    for name, fields in CLEAR_FIELDS.items()
}
#: Relationship lists that are fields of the element itself.
_FLAT_RELATIONS: Final = {
    name: tuple(path for path in paths if "." not in path)
    for name, paths in RELATIONSHIP_FIELDS.items()
}
#: Relationship lists inside a sub-message (the workflow's ``edges.edges``).
_NESTED_RELATIONS: Final = {
    name: tuple(path for path in paths if "." in path)
    for name, paths in RELATIONSHIP_FIELDS.items()
}


def _resolve(message: Message, path: str) -> Any:
    """Return the container at a dotted path, or None if a sub-message on the way is unset."""
    *parents, leaf = path.split(".")
    for name in parents:
        if not message.HasField(name):
            return None
        message = getattr(message, name)
    return getattr(message, leaf)


def _delete_indices(field: Any, indices: list[int]) -> None:
    """Delete ascending ``indices`` from a repeated field, in contiguous runs.

    Deleting in place (back to front) never allocates in the message's arena,
    unlike rewriting the list, so long-lived lists do not grow memory.
    """
    end = len(indices)
    while end:
        stop = end - 1
        start = stop
        while start and indices[start - 1] == indices[start] - 1:
            start -= 1
        del field[indices[start]:indices[stop] + 1]
        end = start


def dedupe_ids(field: Any) -> None:
    """Remove repeated ids from a repeated string field, keeping first occurrences."""
    if len(set(field)) == len(field):
        return
    seen: set[str] = set()
    duplicates = []
    for index, value in enumerate(field):
        if value in seen:
            duplicates.append(index)
        else:
            seen.add(value)
    _delete_indices(field, duplicates)


def remove_ids(field: Any, ids: Collection[str]) -> None:
    """Remove every occurrence of ``ids`` from a repeated string field."""
    if ids and len(field):
        lookup = ids if isinstance(ids, (set, frozenset)) else set(ids)
        _delete_indices(field, list(compress(count(), map(lookup.__contains__, field))))


def merge_update(type_name: str, target: Message, update: Message) -> None:
    """Merge a partial element ``update`` into the stored ``target`` in place.

    Clear-list fields present in the update replace the target's (for the
    workflow also when ``states_updated`` is set), everything else follows
    ``MergeFrom``: scalars overwrite (explicit defaults too), sub-messages merge,
    repeated fields append and map entries are replaced per key. Then the
    workflow's log records are capped and the relationship lists the update
    touched are de-duplicated.
    """
    is_workflow = type_name == "workflow"
    if is_workflow and update.states_updated:
        for name in CLEAR_FIELDS["workflow"]:
            target.ClearField(name)
    else:
        for name, repeated in _CLEAR_PLAN[type_name]:
            if len(getattr(update, name)) if repeated else update.HasField(name):
                target.ClearField(name)
    target.MergeFrom(update)
    if is_workflow and len(update.log_records) and len(target.log_records) > LOG_RECORDS_LIMIT:
        del target.log_records[:-LOG_RECORDS_LIMIT]
    # Only an update carrying new ids can have introduced a duplicate.
    for name in _FLAT_RELATIONS[type_name]:
        if len(getattr(update, name)):
            dedupe_ids(getattr(target, name))
    for path in _NESTED_RELATIONS[type_name]:
        carried = _resolve(update, path)
        if carried is not None and len(carried):
            dedupe_ids(_resolve(target, path))


def collect_back_references(
    type_name: str, element: Message, pending: PendingRemovals
) -> None:
    """Record which owners' id lists must lose ``element.id`` when it is pruned.

    Collecting first and removing once per owner list (``remove_back_references``)
    keeps pruning many elements at one pass per list instead of one per element.
    """
    element_id = element.id
    for ref_field, owner_type, path in BACK_REFERENCES[type_name]:
        if ref_field is None:
            owner_id = ""
        else:
            owner_id = getattr(element, ref_field)
            if not owner_id:
                continue
        pending.setdefault((owner_type, owner_id, path), set()).add(element_id)


def remove_back_references(pending: PendingRemovals, store: ElementStore) -> None:
    """Apply collected removals; owners or lists that do not exist are ignored."""
    for (owner_type, owner_id, path), ids in pending.items():
        if owner_type == "workflow":
            owner: Message | None = store.workflow
        else:
            owner = store.elements.get(owner_type, {}).get(owner_id)
        if owner is not None:
            field = _resolve(owner, path)
            if field is not None:
                remove_ids(field, ids)


def prune_back_references(type_name: str, element: Message, store: ElementStore) -> None:
    """Remove a to-be-pruned ``element``'s id from the lists that reference it (§6.6)."""
    pending: dict[tuple[str, str, str], set[str]] = {}
    collect_back_references(type_name, element, pending)
    remove_back_references(pending, store)
