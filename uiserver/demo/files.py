"""The demo workflow's files (package data) and the marker that claims a run dir for the demo."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import psutil

__all__ = [
    "MARKER_NAME",
    "DemoMarker",
    "install_workflow",
    "is_demo_run",
    "read_marker",
    "server_marker",
    "workflow_source",
    "write_marker",
]

#: The file in a run directory that says the demo made it, and which server has it.
MARKER_NAME = ".uis-demo.json"


@dataclass(frozen=True, slots=True)
class DemoMarker:
    """Which UI server process has the demo run (it stops the scheduler when it stops)."""

    server_pid: int
    #: The process's start time (``psutil``), so a reused PID is not mistaken for it.
    server_started: float

    def server_alive(self) -> bool:
        """Whether the server that wrote this marker is still running."""
        try:
            process = psutil.Process(self.server_pid)
            return (
                process.status() != psutil.STATUS_ZOMBIE
                and abs(process.create_time() - self.server_started) < 0.01
            )
        except (psutil.Error, OSError):
            return False

    def is_this_process(self) -> bool:
        """Whether this very process wrote the marker."""
        return self == server_marker()


def server_marker() -> DemoMarker:
    """The marker naming this process."""
    return DemoMarker(os.getpid(), psutil.Process().create_time())


def workflow_source() -> Traversable:
    """The packaged demo workflow directory (it holds ``flow.cylc``)."""
    return resources.files(__package__) / "workflow"


def _copy_tree(source: Traversable, dest: Path) -> None:
    # Traversable rather than a path: the package may be a zip or a wheel.
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            _copy_tree(item, dest / item.name)
        else:
            (dest / item.name).write_bytes(item.read_bytes())


def install_workflow(dest: Path, source: Traversable | None = None) -> None:
    """Make ``dest`` a fresh copy of the demo workflow, removing what was there.

    The files go straight into the run directory (no ``cylc install``, which
    needs ``rsync``), as a plain, un-numbered workflow. Blocking.
    """
    if dest.is_symlink():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    _copy_tree(source or workflow_source(), dest)


def is_demo_run(run: Path) -> bool:
    """Whether ``run`` carries the demo's marker, i.e. the demo made it."""
    return (run / MARKER_NAME).is_file()


def read_marker(run: Path) -> DemoMarker | None:
    """The marker in ``run``, or None if there is none or it cannot be read."""
    try:
        data = json.loads((run / MARKER_NAME).read_text(encoding="utf-8"))
        return DemoMarker(int(data["server_pid"]), float(data["server_started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_marker(run: Path, marker: DemoMarker) -> None:
    """Record ``marker`` in ``run`` (atomically: a reader never sees half a file)."""
    tmp = run / f"{MARKER_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(marker)), encoding="utf-8")
    os.replace(tmp, run / MARKER_NAME)
