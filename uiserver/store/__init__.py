"""In-memory replicas of the schedulers' data stores, kept in sync by protobuf deltas."""

from __future__ import annotations

from .change import REASONS, StoreChange
from .checksum import stamps_checksum, type_checksum
from .merge import (
    BACK_REFERENCES,
    CLEAR_FIELDS,
    LOG_RECORDS_LIMIT,
    RELATIONSHIP_FIELDS,
    merge_update,
    prune_back_references,
)
from .replica import ELEMENT_STORE_TYPES, WorkflowReplica
from .store import Listener, Store

__all__ = [
    "BACK_REFERENCES",
    "CLEAR_FIELDS",
    "ELEMENT_STORE_TYPES",
    "LOG_RECORDS_LIMIT",
    "Listener",
    "REASONS",
    "RELATIONSHIP_FIELDS",
    "Store",
    "StoreChange",
    "WorkflowReplica",
    "merge_update",
    "prune_back_references",
    "stamps_checksum",
    "type_checksum",
]
