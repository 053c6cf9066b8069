"""Which known workflows a mutation's ``workflows`` argument names.

A pattern is ``[~<user>/]<workflow>[:<status>]``, where ``user`` and
``workflow`` are case-sensitive ``fnmatch`` globs and ``status`` must equal
the workflow's status (``running``, ``paused``, ``stopped``...). Without
``~<user>/`` any owner matches, as in the scheduler's own filter (protocol
§3.7). A task part (``//cycle/task``) is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

__all__ = ["WorkflowPattern", "match_workflows", "parse_pattern", "split_workflow_id"]


@dataclass(frozen=True, slots=True)
class WorkflowPattern:
    """A parsed ``workflows`` item; ``user`` None means any owner."""

    user: str | None
    workflow: str
    status: str | None

    def matches(self, workflow_id: str, status: str | None) -> bool:
        """Whether ``workflow_id`` (``~owner/name``) with ``status`` matches."""
        user, name = split_workflow_id(workflow_id)
        if self.user is not None and (user is None or not fnmatchcase(user, self.user)):
            return False
        if not fnmatchcase(name, self.workflow):
            return False
        return self.status is None or status == self.status


def split_workflow_id(workflow_id: str) -> tuple[str | None, str]:
    """``~alice/a/b`` -> ``("alice", "a/b")``; ``a/b`` -> ``(None, "a/b")``."""
    if workflow_id.startswith("~"):
        user, _, name = workflow_id[1:].partition("/")
        return user, name
    return None, workflow_id


def parse_pattern(text: str) -> WorkflowPattern | None:
    """Parse one pattern; None if it cannot name a workflow (empty, or a bare ``~user``)."""
    text = text.strip()
    text = text.split("//", 1)[0]
    user, rest = split_workflow_id(text)
    # Workflow names cannot contain ":", so the last one starts the status.
    rest, colon, status = rest.rpartition(":") if ":" in rest else (rest, "", "")
    rest = rest.strip("/")
    if not rest or (user is not None and not user):
        return None
    return WorkflowPattern(user=user, workflow=rest, status=status if colon and status else None)


def match_workflows(
    workflow_ids: Iterable[str],
    patterns: Iterable[str],
    status_of: Callable[[str], str | None],
) -> list[str]:
    """The ids among ``workflow_ids`` matched by any of ``patterns``, sorted.

    An empty pattern list matches nothing: a command must name its targets.
    """
    parsed = [p for p in (parse_pattern(t) for t in patterns if isinstance(t, str)) if p]
    if not parsed:
        return []
    matched = []
    for workflow_id in workflow_ids:
        status = None
        for pattern in parsed:
            if pattern.status is not None and status is None:
                status = status_of(workflow_id)
            if pattern.matches(workflow_id, status):
                matched.append(workflow_id)
                break
    return sorted(matched)
