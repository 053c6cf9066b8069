"""The demo: a packaged example workflow that the server runs with itself (``jupyter cylc --demo``).

The workflow (``workflow/flow.cylc``) runs under a real cylc-flow scheduler
in simulation mode; :class:`DemoRunner` lays it out in the run directory,
plays it, holds its held task and stops it when the server stops.
"""

from __future__ import annotations

from .files import DemoMarker, install_workflow, is_demo_run, read_marker, workflow_source
from .runner import HOLD_AT_START, TAG_VARIABLE, DemoError, DemoRunner, DemoState, find_cylc

__all__ = [
    "HOLD_AT_START",
    "TAG_VARIABLE",
    "DemoError",
    "DemoMarker",
    "DemoRunner",
    "DemoState",
    "find_cylc",
    "install_workflow",
    "is_demo_run",
    "read_marker",
    "workflow_source",
]
