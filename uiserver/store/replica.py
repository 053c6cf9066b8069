"""One workflow's replica of the scheduler data store, kept in sync by deltas (protocol §6)."""

from __future__ import annotations

import logging
import time as _time
from typing import Final

from uiserver.scheduler.messages import (
    ELEMENT_TYPES,
    AllDeltas,
    Message,
    PbEntireWorkflow,
    PbWorkflow,
    TypeDeltas,
    WDeltas,
)

from .change import StoreChange
from .checksum import SortedStamps, checksum_key, type_checksum
from .merge import collect_back_references, merge_update, remove_back_references

__all__ = [
    "COMPACT_AFTER",
    "ELEMENT_STORE_TYPES",
    "REPACK_MIN",
    "SUMMARY_DROPPED_FIELDS",
    "WorkflowReplica",
]

_log = logging.getLogger(__name__)

#: Every element type kept as ``id -> element`` (all but the workflow).
ELEMENT_STORE_TYPES: Final = tuple(name for name in ELEMENT_TYPES if name != "workflow")

#: An element is rebuilt into a fresh message after this many merges. upb
#: allocates every merged value in the message's arena and frees nothing
#: until the message dies, and the replaced values (a task proxy's
#: prerequisites, a family's state totals) are garbage from then on: about
#: 0.9 kB per task proxy update. Proxies and jobs merged into the reply's
#: arena also kept that whole arena growing, for as long as any element of
#: it lived (a 50,000-task workflow that never prunes: forever). Rebuilt
#: every 4 merges, the garbage stays below a proxy's own size (measured by
#: benchmarks/merge_garbage.py: about 945 B per merge never rebuilt, 450 B
#: at every 8, 70 B at every 4). The
#: definitions and the workflow change less per merge and cost more to copy.
COMPACT_AFTER: Final[dict[str, int]] = {
    "tasks": 16,
    "families": 16,
    "task_proxies": 4,
    "family_proxies": 4,
    "jobs": 4,
    "edges": 16,
    "workflow": 16,
}

#: ``PbWorkflow`` fields that index the other elements. Only the full level's
#: relations (``Workflow.taskProxies`` and the like) read them, so a
#: workflow held at summary level (``load_workflow``,
#: ``apply_workflow_deltas``) does without: with 100 task and 100 proxy ids
#: they were two thirds of a summary workflow's 18 kB.
SUMMARY_DROPPED_FIELDS: Final = frozenset(
    {"tasks", "families", "task_proxies", "family_proxies", "jobs", "edges"}
)

#: A snapshot's adopted elements share the reply's arena, which stays whole
#: while any one of them lives: 80 long-lived task proxies of an 8,000-proxy
#: snapshot pinned all 16 MB of it (the rest rebuilt or pruned). Once fewer
#: than half of a pack of at least this many adopted elements are still
#: adopted, the survivors are copied into one new, tight pack (repacked), so
#: a pack never holds more than about twice its live elements.
REPACK_MIN: Final = 256

#: A batch that changes more than this fraction of a type's elements drops
#: its sorted stamps, rebuilt once at the checksum: one sort is then cheaper
#: than an insertion per change.
RESORT_FRACTION: Final = 0.25


def _copy(message: Message) -> Message:
    """Return an independent copy (its own arena) of ``message``."""
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def _summary_copy(workflow: PbWorkflow) -> PbWorkflow:
    """A copy of ``workflow`` without :data:`SUMMARY_DROPPED_FIELDS`."""
    dropped = [f.name for f, _ in workflow.ListFields() if f.name in SUMMARY_DROPPED_FIELDS]
    if not dropped:
        return _copy(workflow)
    trimmed = _copy(workflow)
    for name in dropped:
        trimmed.ClearField(name)
    # Cleared values stay in the arena they were copied into: copy once more.
    return _copy(trimmed)


class WorkflowReplica:
    """Protobuf elements of one workflow, by type and id.

    Owned by one writer (the event loop). ``workflow`` and the element
    objects may be replaced by newer objects at any call, so readers must
    look them up again rather than keep references across batches.
    Every mutating call returns the ``StoreChange`` it produced; emitting it
    is the caller's job.
    """

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        self.workflow: PbWorkflow = PbWorkflow(id=workflow_id)
        self.elements: dict[str, dict[str, Message]] = {
            name: {} for name in ELEMENT_STORE_TYPES
        }
        #: Time of the last applied delta per type (workflow included).
        self.last_time: dict[str, float] = dict.fromkeys(ELEMENT_TYPES, 0.0)
        #: Merges since each element was last rebuilt, by type and id.
        self._merges: dict[str, dict[str, int]] = {name: {} for name in ELEMENT_STORE_TYPES}
        self._workflow_merges = 0
        #: Ids of the elements that still live in the current pack's arena
        #: (adopted from a snapshot or a repack), by type; see REPACK_MIN.
        self._adopted: dict[str, set[str]] = {name: set() for name in ELEMENT_STORE_TYPES}
        #: How many elements the current pack held when it was made.
        self._pack_size = 0
        #: Each type's stamps, sorted, for verifying batches' checksums.
        self._stamps: dict[str, SortedStamps] = {
            name: SortedStamps(name) for name in ELEMENT_STORE_TYPES
        }

    def __repr__(self) -> str:
        return f"<WorkflowReplica {self.workflow_id} {self.counts()}>"

    # -- whole-store loads -------------------------------------------------

    def load_snapshot(self, entire: PbEntireWorkflow) -> StoreChange:
        """Replace everything with a ``pb_entire_workflow`` reply.

        The replica adopts the reply's elements instead of copying each into
        its own arena: a copy costs about 1.6 kB of arena per element on top
        of its data (49 MB instead of 21 MB at 8,000 task proxies; 55 MB
        instead of 7.5 MB for 50,000 task definitions) and most of the load
        time. The reply's arena lives while any adopted element does; the
        long-lived ones (definitions, a held task) are copied into a new pack
        once fewer than half remain (see :data:`REPACK_MIN`). Only the
        workflow, merged with every batch, is copied at once.
        """
        self.clear_elements()
        change = StoreChange(self.workflow_id, reloaded=True, reason="snapshot")
        if entire.HasField("workflow"):
            self._set_workflow(_copy(entire.workflow))
            change.added["workflow"] = [entire.workflow]
        else:
            self._set_workflow(PbWorkflow(id=self.workflow_id))
        for name in ELEMENT_STORE_TYPES:
            received = getattr(entire, name)
            if len(received):
                store = self.elements[name]
                for element in received:
                    store[element.id] = element
                # The store's own key objects: the set costs only its slots.
                self._adopted[name].update(store)
                change.added[name] = list(received)
        self._pack_size = sum(map(len, self._adopted.values()))
        change.time = entire.workflow.last_updated
        self.last_time = dict.fromkeys(ELEMENT_TYPES, change.time)
        return change

    def load_workflow(self, wdeltas: WDeltas) -> StoreChange:
        """Seed the workflow alone from a ``pb_data_elements workflow`` reply.

        The replica then holds the workflow at summary level: without its
        element indexes (:data:`SUMMARY_DROPPED_FIELDS`).
        """
        if wdeltas.HasField("added"):
            self._set_workflow(_summary_copy(wdeltas.added))
        else:
            self._set_workflow(PbWorkflow(id=self.workflow_id))
        self.last_time["workflow"] = wdeltas.time
        return StoreChange(
            self.workflow_id,
            added={"workflow": [wdeltas.added]},
            reloaded=True,
            reason="snapshot",
            time=wdeltas.time,
        )

    def resync_type(self, type_name: str, deltas: TypeDeltas) -> StoreChange:
        """Replace one type with a ``pb_data_elements`` reply (all elements in ``added``).

        The change lists as ``added`` the elements that are new or differ from
        what we held and as ``pruned`` the ids that vanished, which is exactly
        what clients need to be repaired.
        """
        change = StoreChange(self.workflow_id, reason="resync", time=deltas.time)
        self.last_time[type_name] = deltas.time
        if type_name == "workflow":
            if deltas.HasField("added"):
                self._set_workflow(_copy(deltas.added))
            else:
                self._set_workflow(PbWorkflow(id=self.workflow_id))
            change.added["workflow"] = [deltas.added]
            return change
        store = self.elements[type_name]
        fresh: dict[str, Message] = {}
        changed = []
        for element in deltas.added:
            fresh[element.id] = _copy(element)
            old = store.get(element.id)
            # Stamps first (cheap); full equality also catches updates the
            # producer made without touching the stamp, e.g. appended edge ids.
            if old is None or old.stamp != element.stamp or old != element:
                changed.append(element)
        vanished = [element_id for element_id in store if element_id not in fresh]
        store.clear()
        store.update(fresh)
        self._stamps[type_name].invalidate()
        self._merges[type_name].clear()
        self._adopted[type_name].clear()
        self._maybe_repack()
        if changed:
            change.added[type_name] = changed
        if vanished:
            change.pruned[type_name] = vanished
        return change

    # -- deltas ------------------------------------------------------------

    def apply(self, deltas: AllDeltas) -> tuple[StoreChange | None, list[str]]:
        """Apply one ``all`` batch in ``AllDeltas`` field order.

        Returns the change (None when nothing was applied or it was empty)
        and the names of the types whose checksum no longer matches, each of
        which must be resynced with ``pb_data_elements``.
        """
        change = StoreChange(self.workflow_id)
        mismatched: list[str] = []
        for name in ELEMENT_TYPES:
            if not deltas.HasField(name):
                continue
            delta = getattr(deltas, name)
            if name == "workflow":
                self._apply_workflow(delta, change)
            elif (
                self._apply_elements(name, delta, change)
                and not delta.reloaded
                and delta.HasField("checksum")
                and self._stamps[name].checksum(self.elements[name]) != delta.checksum
            ):
                mismatched.append(name)
        self._maybe_repack()
        return (None if change.is_empty() else change), mismatched

    def apply_workflow_deltas(self, wdeltas: WDeltas) -> StoreChange | None:
        """Apply a lone ``WDeltas`` (summary level, topic ``workflow``)."""
        change = StoreChange(self.workflow_id)
        self._apply_workflow(wdeltas, change, summary=True)
        return None if change.is_empty() else change

    def update_workflow(self, fields: PbWorkflow, reason: str = "local") -> StoreChange:
        """Merge a locally generated partial workflow (e.g. status ``stopped``)."""
        partial = _copy(fields)
        if not partial.id:
            partial.id = self.workflow.id or self.workflow_id
        self._merge_workflow(partial)
        return StoreChange(
            self.workflow_id,
            updated={"workflow": [partial]},
            reason=reason,
            time=_time.time(),
        )

    def _apply_elements(self, name: str, delta: TypeDeltas, change: StoreChange) -> bool:
        """Apply one non-workflow sub-delta; return False if it was stale."""
        store = self.elements[name]
        merges = self._merges[name]
        adopted = self._adopted[name]
        compact_after = COMPACT_AFTER[name]
        stamps = self._stamps[name]
        if delta.reloaded:
            store.clear()
            merges.clear()
            adopted.clear()
            stamps.invalidate()
            self.last_time[name] = 0.0
            change.reloaded = True
        elif delta.time < self.last_time[name]:
            return False
        key = checksum_key(name)
        n_added, n_updated, n_pruned = len(delta.added), len(delta.updated), len(delta.pruned)
        if stamps.valid and (n_added + n_updated + n_pruned) > RESORT_FRACTION * len(store):
            stamps.invalidate()
        track = stamps.valid

        if n_added:
            for element in delta.added:
                if track:
                    old = store.get(element.id)
                    stamps.replace(None if old is None else getattr(old, key), getattr(element, key))
                store[element.id] = _copy(element)
                if merges:
                    merges.pop(element.id, None)
                if adopted:
                    adopted.discard(element.id)
            change.added[name] = list(delta.added)

        if n_updated:
            applied = []
            # An edge's checksum key is its id, which an update never changes.
            track_updates = track and key == "stamp"
            for element in delta.updated:
                target = store.get(element.id)
                if target is None:
                    continue  # unknown id: the checksum will catch the gap
                before = target.stamp if track_updates else None
                merge_update(name, target, element)
                if track_updates:
                    stamps.replace(before, target.stamp)
                applied.append(element)
                count = merges.get(element.id, 0) + 1
                if count >= compact_after:
                    store[element.id] = _copy(target)
                    count = 0
                    if adopted:
                        adopted.discard(element.id)
                merges[element.id] = count
            if applied:
                change.updated[name] = applied

        if n_pruned:
            pending: dict[tuple[str, str, str], set[str]] = {}
            gone = []
            for element_id in delta.pruned:
                element = store.pop(element_id, None)
                if element is None:
                    continue
                if track:
                    stamps.replace(getattr(element, key), None)
                collect_back_references(name, element, pending)
                gone.append(element_id)
                if merges:
                    merges.pop(element_id, None)
                if adopted:
                    adopted.discard(element_id)
            if pending:
                remove_back_references(pending, self)
            if gone:
                change.pruned[name] = gone

        self.last_time[name] = delta.time
        change.time = max(change.time, delta.time)
        return True

    def _apply_workflow(
        self, wdeltas: WDeltas, change: StoreChange, *, summary: bool = False
    ) -> bool:
        """Apply a workflow sub-delta; return False if it was stale.

        At ``summary`` level the element indexes are left out of the stored
        workflow (:data:`SUMMARY_DROPPED_FIELDS`).
        """
        if wdeltas.reloaded:
            self._set_workflow(PbWorkflow())
            self.last_time["workflow"] = 0.0
            change.reloaded = True
        elif wdeltas.time < self.last_time["workflow"]:
            return False
        if wdeltas.HasField("added") and wdeltas.added.ListFields():
            self._set_workflow((_summary_copy if summary else _copy)(wdeltas.added))
            change.added["workflow"] = [wdeltas.added]
        if wdeltas.HasField("updated"):
            fields = wdeltas.updated.ListFields()
            if fields:
                self._merge_workflow(wdeltas.updated)
                change.updated["workflow"] = [wdeltas.updated]
                if summary:
                    for field, _ in fields:
                        if field.name in SUMMARY_DROPPED_FIELDS:
                            self.workflow.ClearField(field.name)
        if wdeltas.HasField("pruned"):
            self.workflow.pruned = True
            change.pruned["workflow"] = [wdeltas.pruned or self.workflow_id]
        self.last_time["workflow"] = wdeltas.time
        change.time = max(change.time, wdeltas.time)
        return True

    def _maybe_repack(self) -> None:
        """Copy the pack's survivors into a new pack once fewer than half remain."""
        if self._pack_size < REPACK_MIN:
            return
        live = sum(map(len, self._adopted.values()))
        if live * 2 >= self._pack_size:
            return
        pack = PbEntireWorkflow()
        for name, ids in self._adopted.items():
            if ids:
                store = self.elements[name]
                repeated = getattr(pack, name)
                repeated.extend(store[element_id] for element_id in ids)
                for element in repeated:
                    store[element.id] = element
        _log.debug("%s: repacked %d of %d adopted elements", self.workflow_id, live, self._pack_size)
        self._pack_size = live

    def _merge_workflow(self, update: PbWorkflow) -> None:
        merge_update("workflow", self.workflow, update)
        self._workflow_merges += 1
        if self._workflow_merges >= COMPACT_AFTER["workflow"]:
            self._set_workflow(_copy(self.workflow))

    def _set_workflow(self, workflow: PbWorkflow) -> None:
        self.workflow = workflow
        self._workflow_merges = 0

    # -- housekeeping and queries -----------------------------------------

    def clear_elements(self) -> None:
        """Drop every element but the workflow and forget their delta times."""
        for name in ELEMENT_STORE_TYPES:
            self.elements[name].clear()
            self.last_time[name] = 0.0
        for merges in self._merges.values():
            merges.clear()
        for adopted in self._adopted.values():
            adopted.clear()
        for stamps in self._stamps.values():
            stamps.invalidate()
        self._pack_size = 0

    def reset(self) -> None:
        """Drop everything, the workflow included, keeping only its id."""
        self.clear_elements()
        self._set_workflow(PbWorkflow(id=self.workflow_id))
        self.last_time["workflow"] = 0.0

    def checksum(self, type_name: str) -> int:
        """Return the checksum of one type as the scheduler would compute it."""
        if type_name == "workflow":
            return type_checksum(type_name, {self.workflow.id: self.workflow})
        return type_checksum(type_name, self.elements[type_name])

    def counts(self) -> dict[str, int]:
        """Return the number of elements per type (workflow: 1 once it has data)."""
        counts = {name: len(self.elements[name]) for name in ELEMENT_STORE_TYPES}
        counts["workflow"] = int(
            any(field.name != "id" for field, _ in self.workflow.ListFields())
        )
        return counts

    def entire_workflow(self) -> PbEntireWorkflow:
        """Return a serialisable copy of the whole replica."""
        entire = PbEntireWorkflow()
        if self.workflow.ListFields():
            entire.workflow.CopyFrom(self.workflow)
        for name in ELEMENT_STORE_TYPES:
            getattr(entire, name).extend(self.elements[name].values())
        return entire
