"""Merging frames a slow client has not read yet into one equivalent frame.

A client that falls behind must still converge, and its backlog must stay
bounded. Merging its pending frames per workflow does both: the merged frame
holds at most one element per id, whatever the number of batches.
"""

from __future__ import annotations

from uiserver.scheduler.messages import Message
from uiserver.store import merge_update

from .frames import DeltaFrame

__all__ = ["merge_frames", "frame_size"]


def frame_size(frame: DeltaFrame) -> int:
    """The number of elements and ids a frame carries (its memory, roughly)."""
    return (
        sum(len(elements) for elements in frame.added.values())
        + sum(len(elements) for elements in frame.updated.values())
        + sum(len(ids) for ids in frame.pruned.values())
    )


def _rebuilds(frame: DeltaFrame) -> bool:
    """Whether a client applying ``frame`` forgets everything before it."""
    for section in (frame.added, frame.updated):
        workflows = section.get("workflow")
        if workflows and workflows[0].reloaded:
            return True
    return bool(frame.pruned.get("workflow"))


def _copy(message: Message) -> Message:
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def merge_frames(first: DeltaFrame, second: DeltaFrame) -> DeltaFrame:
    """One frame equivalent to applying ``first`` then ``second``.

    Both are for the same workflow. Within a frame a client applies added,
    then updated, then pruned, so: a later full element replaces any earlier
    version of its id; a later partial merges into whatever the earlier frame
    had for its id (with the scheduler's merge rules); a later prune cancels
    earlier additions and updates of the id, and a later addition cancels an
    earlier prune. A frame that makes the client rebuild (``reloaded``, or the
    workflow pruned) replaces everything before it. Neither input is changed.
    """
    if _rebuilds(second):
        return second
    added: dict[str, dict[str, Message]] = {
        name: {element.id: element for element in elements}
        for name, elements in first.added.items()
    }
    updated: dict[str, dict[str, Message]] = {
        name: {element.id: element for element in elements}
        for name, elements in first.updated.items()
    }
    pruned: dict[str, dict[str, None]] = {
        name: dict.fromkeys(ids) for name, ids in first.pruned.items()
    }
    # Elements we copied and may merge into again (never the inputs' own).
    owned: set[int] = set()

    def merge_into(name: str, target_map: dict[str, Message], key: str, update: Message) -> None:
        target = target_map[key]
        if id(target) not in owned:
            target = _copy(target)
            owned.add(id(target))
            target_map[key] = target
        merge_update(name, target, update)

    # An id both added and updated within ``first``: fold the update into the
    # addition now, or a later update would land before it.
    for name, type_updated in updated.items():
        type_added = added.get(name)
        if not type_added:
            continue
        for key in [key for key in type_updated if key in type_added]:
            merge_into(name, type_added, key, type_updated.pop(key))

    for name, elements in second.added.items():
        type_added = added.setdefault(name, {})
        type_updated = updated.get(name, {})
        type_pruned = pruned.get(name, {})
        for element in elements:
            type_added[element.id] = element
            type_updated.pop(element.id, None)
            type_pruned.pop(element.id, None)

    for name, elements in second.updated.items():
        type_added = added.get(name, {})
        type_updated = updated.setdefault(name, {})
        type_pruned = pruned.get(name, {})
        for element in elements:
            key = element.id
            if key in type_pruned:
                # Schedulers never update what they pruned; if one did, the
                # element is gone all the same.
                continue
            target_map = type_added if key in type_added else type_updated
            if key in target_map:
                merge_into(name, target_map, key, element)
            else:
                target_map[key] = element

    for name, ids in second.pruned.items():
        type_added = added.get(name, {})
        type_updated = updated.get(name, {})
        type_pruned = pruned.setdefault(name, {})
        for key in ids:
            type_added.pop(key, None)
            type_updated.pop(key, None)
            type_pruned[key] = None

    return DeltaFrame(
        workflow_id=second.workflow_id,
        added={name: list(items.values()) for name, items in added.items() if items},
        updated={name: list(items.values()) for name, items in updated.items() if items},
        pruned={name: list(items) for name, items in pruned.items() if items},
        shutdown=first.shutdown or second.shutdown,
        time=max(first.time, second.time),
    )
