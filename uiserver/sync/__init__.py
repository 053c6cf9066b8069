"""Demand-driven connections to schedulers, feeding the store."""

from __future__ import annotations

from .demand import Demand, Level
from .link import LinkState, WorkflowLink
from .manager import SyncManager

__all__ = ["Demand", "Level", "LinkState", "SyncManager", "WorkflowLink"]
