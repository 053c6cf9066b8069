"""Per-user authorisation: who may read or control the owner's workflows (web-api §12)."""

from __future__ import annotations

from .authorizer import CACHE_SIZE, Authorizer
from .check import FORBIDDEN, NOT_IN_SCHEMA, check_document, collect_top_level_fields
from .config import AuthorizationError
from .groups import SystemGroups
from .operations import ALL, CONTROL, MUTATIONS, OPERATIONS, READ, camel_case, snake_case

__all__ = [
    "ALL",
    "CACHE_SIZE",
    "CONTROL",
    "FORBIDDEN",
    "MUTATIONS",
    "NOT_IN_SCHEMA",
    "OPERATIONS",
    "READ",
    "AuthorizationError",
    "Authorizer",
    "SystemGroups",
    "camel_case",
    "check_document",
    "collect_top_level_fields",
    "snake_case",
]
