"""The ``graphql-transport-ws`` protocol (the graphql-ws library's)."""

from __future__ import annotations

from .handler import GraphQLTransportWSHandler
from .types import PROTOCOL, CloseCode

__all__ = ["PROTOCOL", "CloseCode", "GraphQLTransportWSHandler"]
