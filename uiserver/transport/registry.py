"""The operations of one connection, each owning its asyncio task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Hashable, Iterator
from typing import Any

__all__ = ["Operation", "OperationRegistry", "spawn"]

log = logging.getLogger("uiserver.transport")


def spawn(coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
    """Start ``coro`` as a task whose failure is logged, never lost."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[Any]) -> None:
    # Retrieving the exception also stops asyncio's "never retrieved" warning.
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("Task %s failed", task.get_name(), exc_info=exc)


class Operation:
    """One client operation (``start``/``subscribe``) and the task running it."""

    __slots__ = ("id", "payload", "task")

    def __init__(self, op_id: Hashable, payload: dict[str, Any]) -> None:
        self.id = op_id
        self.payload = payload
        self.task: asyncio.Task[Any] | None = None

    def __repr__(self) -> str:
        return f"<Operation {self.id!r}>"


class OperationRegistry:
    """Maps operation ids to running operations for one connection.

    An id is registered while its operation runs and freed as soon as the
    operation ends, is stopped or is replaced. Every task started here is also
    tracked until it has finished, so :meth:`wait_all` can make sure nothing
    outlives the connection, even tasks whose id was already reused.
    """

    def __init__(self) -> None:
        self._operations: dict[Hashable, Operation] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._operations)

    def __contains__(self, op_id: object) -> bool:
        return op_id in self._operations

    def __iter__(self) -> Iterator[Operation]:
        return iter(list(self._operations.values()))

    def start(
        self,
        op_id: Hashable,
        payload: dict[str, Any],
        run: Callable[[Operation], Coroutine[Any, Any, None]],
    ) -> Operation:
        """Register a new operation under ``op_id`` and start ``run(operation)``.

        The caller must have freed ``op_id`` first (:meth:`cancel`).
        """
        if op_id in self._operations:
            raise KeyError(f"operation {op_id!r} is already registered")
        operation = Operation(op_id, payload)
        self._operations[op_id] = operation
        operation.task = spawn(run(operation), name=f"graphql-operation-{op_id}")
        self._tasks.add(operation.task)
        operation.task.add_done_callback(self._tasks.discard)
        return operation

    def discard(self, operation: Operation) -> bool:
        """Free ``operation``'s id if it still holds it; return whether it did.

        Checking identity matters: a stopped operation's task must not free
        the id of the operation that has since reused it.
        """
        if self._operations.get(operation.id) is operation:
            del self._operations[operation.id]
            return True
        return False

    def cancel(self, op_id: Hashable) -> Operation | None:
        """Free ``op_id`` and cancel its task without waiting for it.

        Not awaiting keeps the read loop responsive; the task closes its
        result stream as it unwinds. Returns the operation, or ``None`` if no
        operation had that id.
        """
        operation = self._operations.pop(op_id, None)
        if operation is not None and operation.task is not None:
            operation.task.cancel()
        return operation

    def cancel_all(self) -> None:
        """Cancel every task, registered or already replaced, and free every id."""
        self._operations.clear()
        for task in self._tasks:
            task.cancel()

    async def wait_all(self) -> None:
        """Wait until every task started here has finished (the caller excepted).

        ``asyncio.wait`` neither raises the tasks' exceptions (their
        done-callbacks logged them) nor swallows a cancellation of the
        caller, which awaiting each task under ``suppress`` would.
        """
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        if tasks:
            await asyncio.wait(tasks)
