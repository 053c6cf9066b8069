"""Mutations: forwarded to schedulers, or run here (``play``, ``clean``, ``scan``), all audited."""

from __future__ import annotations

from .audit import ACCEPTED, FAILED, REJECTED, TIMED_OUT, AuditEntry, AuditLog, Outcome
from .document import build_document, workflow_variables
from .matching import WorkflowPattern, match_workflows, parse_pattern, split_workflow_id
from .options import CommandLineError, clean_argv, kebab_case, play_argv, play_env
from .process import ProcessResult, ProcessRunner, ProcessTimeout
from .runner import CommandRunner, classify_reply, combine_results

__all__ = [
    "ACCEPTED",
    "FAILED",
    "REJECTED",
    "TIMED_OUT",
    "AuditEntry",
    "AuditLog",
    "CommandLineError",
    "CommandRunner",
    "Outcome",
    "ProcessResult",
    "ProcessRunner",
    "ProcessTimeout",
    "WorkflowPattern",
    "build_document",
    "classify_reply",
    "clean_argv",
    "combine_results",
    "kebab_case",
    "match_workflows",
    "parse_pattern",
    "play_argv",
    "play_env",
    "split_workflow_id",
    "workflow_variables",
]
