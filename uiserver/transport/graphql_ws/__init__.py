"""The legacy ``graphql-ws`` protocol (Apollo's subscriptions-transport-ws)."""

from __future__ import annotations

from .handler import GraphQLWSHandler
from .types import PROTOCOL

__all__ = ["PROTOCOL", "GraphQLWSHandler"]
