"""What a subscription resolves against: one frame of one workflow's changes.

The subscription layer turns every :class:`~uiserver.store.StoreChange` (and
every initial burst) into a :class:`DeltaFrame` and executes the subscription
document once with the frame as its root value. Resolvers of ``Deltas``,
``Added``, ``Updated`` and ``Pruned`` read the frame; nested fields with
``deltaStore: false`` read the live replica.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from uiserver.scheduler.messages import Message, PbTaskProxy, PbWorkflow
from uiserver.store import ELEMENT_STORE_TYPES, StoreChange, WorkflowReplica

__all__ = ["DeltaFrame"]


@dataclass(slots=True)
class DeltaFrame:
    """One workflow's delta as a subscription sees it.

    Type names are the store's (``task_proxies``, ``family_proxies``, ...,
    ``workflow``). ``added`` elements are complete; ``updated`` ones are
    partial (field presence says what changed); ``pruned`` holds ids, with
    ``pruned["workflow"]`` set only when the workflow itself goes away.
    """

    workflow_id: str
    added: dict[str, list[Message]] = field(default_factory=dict)
    updated: dict[str, list[Message]] = field(default_factory=dict)
    pruned: dict[str, list[str]] = field(default_factory=dict)
    shutdown: bool = False
    #: Batch time (epoch seconds), when known.
    time: float = 0.0

    @classmethod
    def from_change(cls, change: StoreChange, replica: WorkflowReplica | None = None) -> DeltaFrame:
        """The frame for one applied batch.

        A change that makes consumers rebuild (``reloaded``) carries the
        flag in ``added.workflow.reloaded`` (or ``updated.workflow``), which
        is how the web UI learns to wipe the workflow's subtree first.

        With the ``replica``, a task definition whose mean run time changed
        also lists its task proxies in ``updated`` (ids only): clients select
        ``task { meanElapsedTime }`` through the proxies, and would otherwise
        keep the old value until each proxy changes (as with the reference).
        """
        added = change.added
        updated = change.updated
        if replica is not None and updated.get("tasks"):
            updated = _with_proxies_of_changed_tasks(change, replica)
        if change.reloaded:
            added = dict(added)
            flagged = PbWorkflow(reloaded=True)
            workflows = added.get("workflow")
            if workflows:
                flagged.CopyFrom(workflows[0])
                flagged.reloaded = True
                added["workflow"] = [flagged]
            else:
                updated = dict(updated)
                partial = updated.get("workflow")
                if partial:
                    flagged.CopyFrom(partial[0])
                    flagged.reloaded = True
                flagged.id = change.workflow_id
                updated["workflow"] = [flagged]
        return cls(
            workflow_id=change.workflow_id,
            added=added,
            updated=updated,
            pruned=change.pruned,
            shutdown=change.shutdown,
            time=change.time,
        )

    @classmethod
    def burst(cls, replica: WorkflowReplica) -> DeltaFrame:
        """The initial burst: the whole replica as ``added``.

        ``reloaded`` is set on a copy of the workflow in the frame only,
        never on the stored workflow (a bug of the reference server).
        """
        workflow = PbWorkflow()
        workflow.CopyFrom(replica.workflow)
        workflow.reloaded = True
        added: dict[str, list[Message]] = {"workflow": [workflow]}
        for name in ELEMENT_STORE_TYPES:
            elements = replica.elements[name]
            if elements:
                added[name] = list(elements.values())
        return cls(workflow_id=replica.workflow_id, added=added, time=replica.workflow.last_updated)


def _with_proxies_of_changed_tasks(
    change: StoreChange, replica: WorkflowReplica
) -> dict[str, list[Message]]:
    """``change.updated`` plus an id-only partial for every proxy of a task
    whose ``mean_elapsed_time`` changed (not already in the change)."""
    tasks = replica.elements["tasks"]
    proxies = replica.elements["task_proxies"]
    mentioned = {
        element.id
        for section in (change.added, change.updated)
        for element in section.get("task_proxies", ())
    }
    mentioned.update(change.pruned.get("task_proxies", ()))
    extra: list[Message] = []
    for task in change.updated["tasks"]:
        if not task.HasField("mean_elapsed_time"):
            continue
        stored = tasks.get(task.id)
        for proxy_id in stored.proxies if stored is not None else ():
            if proxy_id not in mentioned and proxy_id in proxies:
                mentioned.add(proxy_id)
                extra.append(PbTaskProxy(id=proxy_id))
    if not extra:
        return change.updated
    updated = dict(change.updated)
    updated["task_proxies"] = [*updated.get("task_proxies", ()), *extra]
    return updated
