"""Reference-counted demand for a workflow's data, at a level."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

__all__ = ["Demand", "Level"]


class Level(IntEnum):
    """How much of a workflow's data someone wants.

    ``NONE``: no sockets. ``SUMMARY``: the ``workflow`` topic only (status,
    state totals). ``FULL``: the ``all`` topic, every element type.
    """

    NONE = 0
    SUMMARY = 1
    FULL = 2


class Demand:
    """A held claim on a workflow at a level; release it exactly once.

    ``release`` is idempotent so that cleanup paths (``finally``, socket close,
    cancellation) can all call it without double counting. Also usable as a
    context manager.
    """

    __slots__ = ("workflow_id", "level", "_release")

    def __init__(self, workflow_id: str, level: Level, release: Callable[[], None]) -> None:
        self.workflow_id = workflow_id
        self.level = level
        self._release: Callable[[], None] | None = release

    @property
    def released(self) -> bool:
        return self._release is None

    def release(self) -> None:
        """Give up this claim (no-op the second time)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Demand:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "released" if self.released else "held"
        return f"<Demand {self.workflow_id} {self.level.name} {state}>"
