"""Find workflow run directories under ``~/cylc-run`` and read their contact files."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from .contact import ContactError, ContactInfo, ContactMissing, read_contact_file

__all__ = ["FoundWorkflow", "scan_run_dir"]

# Directories that are never workflows nor contain them. ``runN`` is a
# symlink to the newest ``runX``, which is reported under its real name.
_SKIP_NAMES: Final = frozenset({"_cylc-install", "log", "share", "work", ".service"})
_SKIP_STEMS: Final = frozenset({"runN", "source"})


@dataclass(frozen=True, slots=True)
class FoundWorkflow:
    """One workflow run directory found by :func:`scan_run_dir`."""

    #: Workflow ID relative to the run dir, ``/``-separated (``demo/run1``).
    name: str
    path: Path
    #: The parsed contact file, or None when there is none (or it is invalid).
    contact: ContactInfo | None
    #: Why the contact file present in ``.service/`` could not be used.
    contact_error: str | None
    #: Whether ``.service/db`` exists, i.e. the workflow has run before.
    has_db: bool

    @property
    def active(self) -> bool:
        """Whether a contact file was present (valid or not)."""
        return self.contact is not None or self.contact_error is not None


def _list(path: Path) -> list[str] | None:
    """Names in ``path``, or None if it vanished or cannot be listed."""
    try:
        return os.listdir(path)
    except OSError:
        return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _classify(path: Path, names: list[str]) -> bool | None:
    """True if ``path`` is a workflow, False to descend, None to skip it entirely."""
    if "flow.cylc" in names:
        return True
    if "suite.rc" in names:
        # A Cylc 7 workflow that Cylc 7 already ran: leave it alone.
        cylc7_ran = (path / "log" / "suite" / "log").exists() and not (
            path / "log" / "scheduler"
        ).exists()
        return None if cylc7_ran else True
    return False


def _inspect(name: str, path: Path) -> FoundWorkflow:
    """Look in ``.service/`` for a contact file and a private DB."""
    # Listing rather than stat-ing the contact file defeats NFS negative caching.
    service = _list(path / ".service") or []
    contact: ContactInfo | None = None
    error: str | None = None
    if "contact" in service:
        try:
            contact = read_contact_file(path / ".service" / "contact")
        except ContactMissing:
            pass  # removed between listing and reading: the workflow just stopped
        except ContactError as exc:
            error = str(exc)
    return FoundWorkflow(
        name=name, path=path, contact=contact, contact_error=error, has_db="db" in service
    )


def scan_run_dir(run_dir: Path, max_depth: int = 4) -> list[FoundWorkflow]:
    """Find every workflow under ``run_dir`` at most ``max_depth`` levels deep.

    Blocking (it lists directories and reads files): run it in an executor.
    Directories that vanish or cannot be listed are skipped; a missing
    ``run_dir`` gives an empty list. Symlinked directories are followed, once
    per real path, so symlink loops terminate. The result is sorted by name.
    """
    found: list[FoundWorkflow] = []
    try:
        seen = {os.path.realpath(run_dir)}
    except OSError:
        return found
    # Breadth first in sorted order so that, when two paths lead to the same
    # real directory, the shallowest and alphabetically first one wins.
    queue: deque[tuple[PurePosixPath, int]] = deque([(PurePosixPath(), 0)])
    while queue:
        rel, depth = queue.popleft()
        names = _list(run_dir / rel)
        if names is None:
            continue
        for child in sorted(names):
            if child in _SKIP_NAMES or PurePosixPath(child).stem in _SKIP_STEMS:
                continue
            child_rel = rel / child
            path = run_dir / child_rel
            if not _is_dir(path):
                continue
            try:
                real = os.path.realpath(path)
            except OSError:
                continue
            if real in seen:
                continue
            seen.add(real)
            child_names = _list(path)
            if child_names is None:
                continue
            kind = _classify(path, child_names)
            if kind:
                found.append(_inspect(str(child_rel), path))
            elif kind is False and depth + 1 < max_depth:
                queue.append((child_rel, depth + 1))
    found.sort(key=lambda wf: wf.name)
    return found
