"""All workflow replicas of the server, and the fan-out of their changes."""

from __future__ import annotations

import logging
from typing import Callable

from .change import StoreChange
from .replica import WorkflowReplica

__all__ = ["Listener", "Store"]

LOG = logging.getLogger("uiserver.store")

#: Called synchronously with every emitted change.
Listener = Callable[[StoreChange], None]


class Store:
    """The replicas by workflow id, plus synchronous change listeners."""

    def __init__(self) -> None:
        self.replicas: dict[str, WorkflowReplica] = {}
        self._listeners: list[Listener] = []
        #: Number of changes emitted so far.
        self.emitted = 0

    def get(self, workflow_id: str) -> WorkflowReplica | None:
        """Return the replica of ``workflow_id``, if any."""
        return self.replicas.get(workflow_id)

    def ensure(self, workflow_id: str) -> WorkflowReplica:
        """Return the replica of ``workflow_id``, creating an empty one if needed."""
        replica = self.replicas.get(workflow_id)
        if replica is None:
            replica = self.replicas[workflow_id] = WorkflowReplica(workflow_id)
        return replica

    def status_of(self, workflow_id: str) -> str:
        """The workflow's status as the replica has it (``""`` if unknown),
        what ``:status`` selectors in workflow patterns test."""
        replica = self.replicas.get(workflow_id)
        return replica.workflow.status if replica is not None else ""

    def remove(self, workflow_id: str) -> WorkflowReplica | None:
        """Forget the replica of ``workflow_id`` and return it, if there was one."""
        return self.replicas.pop(workflow_id, None)

    def listen(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback`` with every future change; return a function that stops it."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            try:
                self._listeners.remove(callback)
            except ValueError:
                pass  # already unsubscribed

        return unsubscribe

    def emit(self, change: StoreChange) -> None:
        """Hand ``change`` to every listener in subscription order.

        A failing listener is logged and does not stop the others.
        """
        self.emitted += 1
        # Iterate over a snapshot: listeners may (un)subscribe while called.
        for listener in tuple(self._listeners):
            try:
                listener(change)
            except Exception:
                LOG.exception("store listener %r failed on %s", listener, change.reason)
