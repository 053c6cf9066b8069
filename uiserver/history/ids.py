"""Job ids and the ``ids``/``exids`` globs of history queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache
from typing import Callable, Final

__all__ = ["LATEST_JOB", "JobPattern", "glob", "job_id", "parse_job_pattern"]

#: A job part meaning "the latest submission of that task instance".
LATEST_JOB: Final = "NN"

Matcher = Callable[[str], bool]


def job_id(workflow_id: str, cycle: str, name: str, submit_num: int) -> str:
    """``~user/WF//cycle/task/NN``, the submit number zero-padded to two digits."""
    return f"{workflow_id}//{cycle}/{name}/{submit_num:02d}"


@lru_cache(maxsize=1024)
def glob(pattern: str) -> Matcher:
    """Compile an fnmatch-style glob (case-sensitive; ``*`` also matches ``/``)."""
    if not any(char in pattern for char in "*?["):
        return pattern.__eq__
    return re.compile(translate(pattern)).match  # type: ignore[return-value]


def _part(text: str) -> tuple[Matcher | None, str | None, str]:
    """``(matcher or None, selector or None, raw value)`` of one ``value[:selector]`` level."""
    value, _, selector = text.partition(":")
    value = value.strip()
    return (glob(value) if value else None), (selector.strip() or None), value


@dataclass(frozen=True, slots=True)
class JobPattern:
    """A parsed ``[~user/WF//]cycle[/task[/job]][:state]`` glob."""

    user: Matcher | None
    workflow: Matcher | None
    cycle: Matcher | None
    task: Matcher | None
    job: Matcher | None
    latest: bool
    state: str | None
    null: bool = False

    def matches(
        self,
        user: str | None,
        workflow: str,
        cycle: str,
        name: str,
        submit_num: int,
        state: str,
        is_latest: bool,
    ) -> bool:
        """True if a job row matches every part this pattern gives."""
        if self.null:
            return False
        if self.user is not None and (user is None or not self.user(user)):
            return False
        if self.workflow is not None and not self.workflow(workflow):
            return False
        if self.cycle is not None and not self.cycle(cycle):
            return False
        if self.task is not None and not self.task(name):
            return False
        # Both "1" and "01" name the first submission.
        if self.job is not None and not (
            self.job(f"{submit_num:02d}") or self.job(str(submit_num))
        ):
            return False
        if self.latest and not is_latest:
            return False
        return self.state is None or self.state == state


@lru_cache(maxsize=1024)
def parse_job_pattern(text: str) -> JobPattern:
    """Parse a job glob; the workflow part (before ``//``) is optional.

    Each level may carry a ``:state`` selector (the highest given is used);
    a job part of ``NN`` means the latest submission. An empty pattern
    matches nothing. Raises ValueError for more than three levels.
    """
    text = text.strip()
    user = workflow = None
    if "//" in text:
        head, text = text.split("//", 1)
        head = head.strip()
        if head.startswith("~"):
            user_text, _, head = head[1:].partition("/")
            user = glob(user_text.strip()) if user_text.strip() else None
        workflow = _part(head)[0]
    parts = text.split("/") if text else []
    if not parts and user is None and workflow is None:
        return JobPattern(None, None, None, None, None, False, None, null=True)
    if len(parts) > 3:
        raise ValueError(f"Invalid job ID (expected cycle/task/job): {text!r}")
    matchers: list[Matcher | None] = [None, None, None]
    state = None
    latest = False
    for index, part in enumerate(parts):
        matcher, selector, value = _part(part)
        if index == 2 and value == LATEST_JOB:
            latest, matcher = True, None
        matchers[index] = matcher
        state = state or selector
    return JobPattern(user, workflow, *matchers, latest, state)
