"""Helpers that build fake ``~/cylc-run`` trees and contact files for the workflow tests."""

from __future__ import annotations

import os
from pathlib import Path

import psutil

__all__ = ["contact_text", "make_workflow", "own_command", "write_contact"]

UUID = "3c8a4d55-4b1e-4e6f-9d0a-1f2e3d4c5b6a"


def own_command() -> str:
    """This test process's command line, as a scheduler would record it."""
    return " ".join(psutil.Process().cmdline())


def contact_text(**overrides: str | None) -> str:
    """A contact file like one written by cylc-flow 8.5.4; ``None`` drops a key."""
    data: dict[str, str | None] = {
        "CYLC_API": "5",
        "CYLC_VERSION": "8.5.4",
        "CYLC_WORKFLOW_COMMAND": own_command(),
        "CYLC_WORKFLOW_HOST": "localhost",
        "CYLC_WORKFLOW_ID": "demo/run1",
        "CYLC_WORKFLOW_OWNER": "me",
        "CYLC_WORKFLOW_PID": str(os.getpid()),
        "CYLC_WORKFLOW_PORT": "43001",
        "CYLC_WORKFLOW_PUBLISH_PORT": "43002",
        "CYLC_WORKFLOW_RUN_DIR_ON_WORKFLOW_HOST": "/home/me/cylc-run/demo/run1",
        "CYLC_WORKFLOW_UUID": UUID,
        "SCHEDULER_CYLC_PATH": "None",
        "SCHEDULER_SSH_COMMAND": "ssh -oBatchMode=yes -oConnectTimeout=10",
        "SCHEDULER_USE_LOGIN_SHELL": "True",
    }
    data.update(overrides)
    return "".join(f"{k}={v}\n" for k, v in sorted(data.items()) if v is not None)


def write_contact(path: Path, **overrides: str | None) -> None:
    """Write a contact file into the run directory ``path``."""
    (path / ".service").mkdir(parents=True, exist_ok=True)
    (path / ".service" / "contact").write_text(contact_text(**overrides))


def make_workflow(
    run_dir: Path,
    name: str,
    *,
    db: bool = False,
    contact: dict[str, str | None] | None = None,
    flow_file: str = "flow.cylc",
) -> Path:
    """Create run directory ``run_dir/name``, optionally with a DB and a contact file."""
    path = run_dir / name
    path.mkdir(parents=True, exist_ok=True)
    (path / flow_file).write_text("[scheduling]\n")
    if db or contact is not None:
        (path / ".service").mkdir(exist_ok=True)
    if db:
        (path / ".service" / "db").write_bytes(b"")
    if contact is not None:
        write_contact(path, **{"CYLC_WORKFLOW_ID": name, **contact})
    return path
