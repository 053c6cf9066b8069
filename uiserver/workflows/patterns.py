"""Workflow id patterns: ``[~user/]WF[:status]`` globs, as queries and commands take them.

A pattern's user and workflow parts are case-sensitive fnmatch globs in which
``*`` also matches ``/`` (workflow names nest). Without ``~user/`` any owner
matches. An optional ``:status`` selector must equal the workflow's status.
A node part (``//cycle/task``) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache
from typing import Final

__all__ = [
    "Matcher",
    "WorkflowPattern",
    "glob_matcher",
    "match_workflows",
    "optional_glob",
    "parse_workflow_pattern",
    "split_selector",
    "split_workflow_id",
]

_SEP: Final = "//"
_GLOB_CHARS: Final = frozenset("*?[")

Matcher = Callable[[str], bool]


def split_workflow_id(workflow_id: str) -> tuple[str | None, str]:
    """Split ``~user/WF`` into ``(user, WF)``; an id without ``~user/`` has no user."""
    if workflow_id.startswith("~"):
        user, _, name = workflow_id[1:].partition("/")
        return user, name
    return None, workflow_id


@lru_cache(maxsize=4096)
def glob_matcher(pattern: str) -> Matcher:
    """Compile an fnmatch-style glob (case-sensitive; ``*`` also matches ``/``)."""
    if _GLOB_CHARS.isdisjoint(pattern):
        return pattern.__eq__
    return re.compile(translate(pattern)).match  # type: ignore[return-value]


def optional_glob(pattern: str | None) -> Matcher | None:
    """A matcher for a non-empty pattern part, else None (the part is unconstrained)."""
    return glob_matcher(pattern) if pattern else None


def split_selector(part: str) -> tuple[str, str | None]:
    """Split ``name:selector`` (both stripped); the selector is None if absent."""
    value, sep, selector = part.partition(":")
    selector = selector.strip()
    return value.strip(), (selector or None) if sep else None


@dataclass(frozen=True, slots=True)
class WorkflowPattern:
    """A parsed pattern; ``None`` parts are unconstrained, ``null`` matches nothing."""

    user: Matcher | None
    workflow: Matcher | None
    status: str | None
    null: bool = False

    def matches(self, user: str | None, name: str, status: Callable[[], str | None]) -> bool:
        """Whether a workflow (split by :func:`split_workflow_id`) matches."""
        if self.null:
            return False
        if self.user is not None and (user is None or not self.user(user)):
            return False
        if self.workflow is not None and not self.workflow(name):
            return False
        return self.status is None or status() == self.status


def parse_workflow_pattern(text: str) -> WorkflowPattern:
    """Parse ``~user/WF:status``, ``~user``, ``WF:status`` (any node part is ignored)."""
    text = text.strip().split(_SEP, 1)[0]
    if not text:
        return WorkflowPattern(None, None, None, null=True)
    user, name = split_workflow_id(text)
    name, status = split_selector(name)
    return WorkflowPattern(
        optional_glob(user.strip() if user is not None else None),
        optional_glob(name),
        status,
    )


def match_workflows(
    workflow_ids: Iterable[str],
    workflows: Iterable[str] | None,
    exworkflows: Iterable[str] | None,
    status_of: Callable[[str], str | None],
) -> list[str]:
    """Return the workflow ids matching ``workflows`` and none of ``exworkflows``.

    ``status_of`` is only called when a selector needs it, at most once per
    workflow. Empty ``workflows`` matches all; an empty pattern string matches
    nothing. Input order is kept.
    """
    include = [parse_workflow_pattern(p) for p in workflows or ()]
    exclude = [parse_workflow_pattern(p) for p in exworkflows or ()]
    if not include and not exclude:
        return list(workflow_ids)
    result = []
    for workflow_id in workflow_ids:
        user, name = split_workflow_id(workflow_id)
        cache: list[str | None] = []

        def status(workflow_id: str = workflow_id, cache: list[str | None] = cache) -> str | None:
            if not cache:
                cache.append(status_of(workflow_id))
            return cache[0]

        if include and not any(p.matches(user, name, status) for p in include):
            continue
        if any(p.matches(user, name, status) for p in exclude):
            continue
        result.append(workflow_id)
    return result
