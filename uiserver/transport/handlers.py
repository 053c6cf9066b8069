"""The extension's API routes, relative to Jupyter's ``base_url``."""

from __future__ import annotations

from typing import Any

from .http import GraphQLBatchHandler, GraphQLHandler
from .profile import UserProfileHandler, VersionHandler
from .subscriptions import SubscriptionsHandler

__all__ = ["api_handlers"]


def api_handlers(prefix: str = "/cylc") -> list[tuple[str, type, dict[str, Any]]]:
    """``(pattern, handler, kwargs)`` for GraphQL, subscriptions, profile and version.

    ``ExtensionApp`` puts ``base_url`` in front of each pattern. The handlers
    read their collaborators from the tornado settings: ``cylc_executor``,
    ``cylc_authorizer``, ``cylc_owner`` and optionally ``cylc_ws_options``,
    ``cylc_max_body_size`` and ``cylc_max_batch``.
    """
    prefix = prefix.rstrip("/")
    return [
        (f"{prefix}/graphql", GraphQLHandler, {}),
        (f"{prefix}/graphql/batch", GraphQLBatchHandler, {}),
        (f"{prefix}/subscriptions", SubscriptionsHandler, {}),
        (f"{prefix}/userprofile", UserProfileHandler, {}),
        (f"{prefix}/version", VersionHandler, {}),
    ]
