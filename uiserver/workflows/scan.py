"""Find workflow run directories under ``~/cylc-run`` and read their contact files."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .contact import ContactError, ContactInfo, ContactMissing, read_contact_file

__all__ = ["FoundWorkflow", "ScanMemo", "scan_run_dir"]

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


def _list(path: str) -> list[str] | None:
    """Names in ``path``, or None if it vanished or cannot be listed."""
    try:
        return os.listdir(path)
    except OSError:
        return None


def _stem(name: str) -> str:
    """``PurePosixPath(name).stem`` without building a path."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _subdirs(path: str) -> list[tuple[str, bool]] | None:
    """``(name, is_symlink)`` of the directories in ``path``, sorted; None if unlistable.

    ``scandir`` reports each entry's type from the directory itself, so only
    symlinks cost a ``stat``: a scan repeats every few seconds over hundreds
    of run directories.
    """
    try:
        with os.scandir(path) as entries:
            found = []
            for entry in entries:
                try:
                    if entry.is_dir():
                        found.append((entry.name, entry.is_symlink()))
                except OSError:
                    continue
    except OSError:
        return None
    found.sort()
    return found


def _classify(path: str, names: list[str]) -> bool | None:
    """True if ``path`` is a workflow, False to descend, None to skip it entirely."""
    if "flow.cylc" in names:
        return True
    if "suite.rc" in names:
        # A Cylc 7 workflow that Cylc 7 already ran: leave it alone.
        cylc7_ran = os.path.exists(os.path.join(path, "log", "suite", "log")) and not (
            os.path.exists(os.path.join(path, "log", "scheduler"))
        )
        return None if cylc7_ran else True
    return False


#: What one scan learnt of each run directory, for the next scan to reuse:
#: path -> (the contact file's stat stamp, or None without one; the result).
ScanMemo = dict[str, tuple[tuple[int, ...] | None, FoundWorkflow]]


def _stamp(path: str) -> tuple[int, ...] | None:
    """What changes whenever the file at ``path`` is replaced or rewritten; None if absent.

    An unreadable file still has a stamp (its ``stat`` needs only the
    directory), so fixing its permissions, which changes ``ctime``, re-reads it.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return (-1,)  # cannot tell: read it, and do not reuse the result
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _inspect(name: str, path: str, memo: ScanMemo | None, previous: ScanMemo) -> FoundWorkflow:
    """Look in ``.service/`` for a contact file and a private DB.

    A contact file is parsed again only when its stat stamp changed since the
    previous scan (``previous``); otherwise that scan's result is reused.
    """
    # Listing rather than stat-ing the contact file defeats NFS negative caching.
    service_dir = os.path.join(path, ".service")
    service = _list(service_dir) or []
    has_db = "db" in service
    contact_path = os.path.join(service_dir, "contact")
    stamp = _stamp(contact_path) if "contact" in service else None
    if memo is not None:
        known = previous.get(path)
        if known is not None and known[0] == stamp and stamp != (-1,):
            found = known[1]
            if found.has_db == has_db and found.name == name:
                memo[path] = known
                return found
    contact: ContactInfo | None = None
    error: str | None = None
    if stamp is not None:
        try:
            contact = read_contact_file(Path(contact_path))
        except ContactMissing:
            stamp = None  # removed between listing and reading: the workflow just stopped
        except ContactError as exc:
            error = str(exc)
    found = FoundWorkflow(
        name=name, path=Path(path), contact=contact, contact_error=error, has_db=has_db
    )
    if memo is not None:
        memo[path] = (stamp, found)
    return found


def scan_run_dir(
    run_dir: Path, max_depth: int = 4, memo: ScanMemo | None = None
) -> list[FoundWorkflow]:
    """Find every workflow under ``run_dir`` at most ``max_depth`` levels deep.

    Blocking (it lists directories and reads files): run it in an executor.
    Directories that vanish or cannot be listed are skipped; a missing
    ``run_dir`` gives an empty list. Symlinked directories are followed, once
    per real path, so symlink loops terminate. The result is sorted by name.

    Given a ``memo`` (the same dict every scan), a run directory whose
    contact file has not changed since the last scan is not read again:
    hundreds of running workflows are rescanned every few seconds. The memo
    keeps only what this scan found.
    """
    previous: ScanMemo = {}
    if memo is not None:
        previous = dict(memo)
        memo.clear()
    found: list[FoundWorkflow] = []
    root = os.fspath(run_dir)
    try:
        root_real = os.path.realpath(root)
    except OSError:
        return found
    seen = {root_real}
    # Breadth first in sorted order so that, when two paths lead to the same
    # real directory, the shallowest and alphabetically first one wins.
    # Entries: (id relative to run_dir, its path, its real path, depth).
    queue: deque[tuple[str, str, str, int]] = deque([("", root, root_real, 0)])
    while queue:
        rel, path, real, depth = queue.popleft()
        children = _subdirs(path)
        if children is None:
            continue
        for child, is_link in children:
            if child in _SKIP_NAMES or _stem(child) in _SKIP_STEMS:
                continue
            child_path = os.path.join(path, child)
            if is_link:
                try:
                    child_real = os.path.realpath(child_path)
                except OSError:
                    continue
            else:
                child_real = os.path.join(real, child)
            if child_real in seen:
                continue
            seen.add(child_real)
            child_names = _list(child_path)
            if child_names is None:
                continue
            child_rel = f"{rel}/{child}" if rel else child
            kind = _classify(child_path, child_names)
            if kind:
                found.append(_inspect(child_rel, child_path, memo, previous))
            elif kind is False and depth + 1 < max_depth:
                queue.append((child_rel, child_path, child_real, depth + 1))
    found.sort(key=lambda wf: wf.name)
    return found
