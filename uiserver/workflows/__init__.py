"""Workflow discovery: find run directories, read contact files, track changes."""

from __future__ import annotations

from .contact import (
    API_VERSION,
    ContactError,
    ContactInfo,
    ContactMissing,
    contact_from_mapping,
    parse_contact,
    read_contact_file,
)
from .liveness import contact_is_stale, is_local_host
from .registry import EventKind, WorkflowEntry, WorkflowEvent, WorkflowRegistry, diff_entries
from .scan import FoundWorkflow, scan_run_dir

__all__ = [
    "API_VERSION",
    "ContactError",
    "ContactInfo",
    "ContactMissing",
    "EventKind",
    "FoundWorkflow",
    "WorkflowEntry",
    "WorkflowEvent",
    "WorkflowRegistry",
    "contact_from_mapping",
    "contact_is_stale",
    "diff_entries",
    "is_local_host",
    "parse_contact",
    "read_contact_file",
    "scan_run_dir",
]
