"""A bounded, in-memory record of every command the server ran or forwarded."""

from __future__ import annotations

import copy
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ACCEPTED", "FAILED", "REJECTED", "TIMED_OUT", "AuditEntry", "AuditLog", "Outcome"]

log = logging.getLogger("uiserver.commands")

OutcomeKind = Literal["accepted", "rejected", "failed", "timed out"]

#: The scheduler (or the UI server, for play/clean/scan) did what was asked.
ACCEPTED: OutcomeKind = "accepted"
#: It answered, but refused: ``[false, msg]`` from a scheduler, or a policy refusal here.
REJECTED: OutcomeKind = "rejected"
#: It could not be asked: not running, no keys, no match, a subprocess error.
FAILED: OutcomeKind = "failed"
#: No answer within the timeout.
TIMED_OUT: OutcomeKind = "timed out"


@dataclass(slots=True)
class Outcome:
    """What happened to one command for one workflow (``workflow`` None: for none)."""

    workflow: str | None
    outcome: str
    message: str


@dataclass(slots=True)
class AuditEntry:
    """One command as a user issued it, with an outcome per targeted workflow."""

    time: float
    user: str
    mutation: str
    arguments: dict[str, Any]
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> str:
        """A one-line account of the outcomes, for the log."""
        if not self.outcomes:
            return "no outcome"
        return "; ".join(
            f"{o.workflow or '-'}: {o.outcome}" + (f" ({o.message})" if o.message else "")
            for o in self.outcomes
        )


class AuditLog:
    """The newest ``size`` commands, oldest dropped first."""

    def __init__(self, size: int = 1000) -> None:
        if size < 1:
            raise ValueError("the audit log must hold at least one entry")
        self._entries: deque[AuditEntry] = deque(maxlen=size)

    @property
    def size(self) -> int:
        """How many entries are kept at most."""
        return self._entries.maxlen or 0

    def __len__(self) -> int:
        return len(self._entries)

    def record(
        self,
        user: str,
        mutation: str,
        arguments: dict[str, Any],
        outcomes: list[Outcome],
        *,
        when: float | None = None,
    ) -> AuditEntry:
        """Add an entry (arguments are copied, so later changes don't rewrite history)
        and log it at INFO level."""
        entry = AuditEntry(
            time=time.time() if when is None else when,
            user=user,
            mutation=mutation,
            arguments=copy.deepcopy(arguments),
            outcomes=list(outcomes),
        )
        self._entries.append(entry)
        log.info("Command %s from %s %s: %s", mutation, user, entry.arguments, entry.summary())
        return entry

    def entries(self, limit: int = 100) -> list[AuditEntry]:
        """Up to ``limit`` entries, newest first."""
        if limit <= 0:
            return []
        out: list[AuditEntry] = []
        for entry in reversed(self._entries):
            if len(out) >= limit:
                break
            out.append(entry)
        return out
