"""The event a replica produces for every batch it applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from uiserver.scheduler.messages import Message

__all__ = ["REASONS", "StoreChange"]

#: Why a change was produced.
REASONS = frozenset(
    {"delta", "snapshot", "resync", "local", "shutdown", "removed", "reset"}
)


@dataclass(slots=True)
class StoreChange:
    """What one applied batch did to one workflow's replica.

    Consumers replay it per type in ``ELEMENT_TYPES`` order, and within a
    type ``added`` then ``updated`` then ``pruned`` — the order it was applied
    in, so an element may legitimately appear in more than one of them.

    The element messages are the ones received (never the replica's own,
    which keep changing), so they stay valid after later batches.
    """

    workflow_id: str
    #: Type name -> complete elements ('workflow' -> [PbWorkflow]).
    added: dict[str, list[Message]] = field(default_factory=dict)
    #: Type name -> partial elements as received: field presence tells what changed.
    updated: dict[str, list[Message]] = field(default_factory=dict)
    #: Type name -> removed ids ('workflow' -> [id] only when the workflow goes).
    pruned: dict[str, list[str]] = field(default_factory=dict)
    #: The consumer must rebuild this workflow from the replica.
    reloaded: bool = False
    shutdown: bool = False
    #: One of ``REASONS``.
    reason: str = "delta"
    #: Batch time (epoch seconds) when known.
    time: float = 0.0

    def is_empty(self) -> bool:
        """Return True if the change carries nothing a consumer must act on."""
        return not (
            self.added or self.updated or self.pruned or self.reloaded or self.shutdown
        )
