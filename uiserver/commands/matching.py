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

from uiserver.workflows.patterns import match_workflows as _match_workflows
from uiserver.workflows.patterns import split_workflow_id

__all__ = ["WorkflowPattern", "match_workflows", "parse_pattern", "split_workflow_id"]


@dataclass(frozen=True, slots=True)
class WorkflowPattern:
    """A ``workflows`` item as text parts; ``user`` None means any owner.

    ``play`` and ``clean`` use the parts to name a workflow that may not be
    scanned yet; matching known workflows goes through
    :func:`uiserver.workflows.patterns.match_workflows`.
    """

    user: str | None
    workflow: str
    status: str | None


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

    An empty pattern list matches nothing: a command must name its targets,
    and so must each pattern (an empty one or a bare ``~user`` names none).
    """
    named = [p for p in patterns if isinstance(p, str) and parse_pattern(p) is not None]
    if not named:
        return []
    return sorted(_match_workflows(workflow_ids, named, (), status_of))
