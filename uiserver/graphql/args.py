"""Argument sets shared by many fields, with the reference's exact defaults.

Each function returns fresh ``graphene.Argument`` objects (keyed by their
python names; graphene camel-cases them), so a field can combine several
sets with ``{**a, **b}``.
"""

from __future__ import annotations

import graphene

__all__ = [
    "SortArgs",
    "def_args",
    "delta_args",
    "edge_args",
    "job_args",
    "nodes_edges_args",
    "proxy_args",
    "strip_arg",
    "subscription_args",
    "workflow_args",
]


class SortArgs(graphene.InputObjectType):
    """How to sort a list: by these field names, optionally reversed."""

    keys = graphene.List(graphene.String, default_value=["id"])
    reverse = graphene.Boolean(default_value=False)


def _ids() -> dict[str, graphene.Argument]:
    return {
        "ids": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
        "exids": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
    }


def _states(item: type = graphene.String) -> dict[str, graphene.Argument]:
    return {
        "states": graphene.Argument(graphene.List(item), default_value=[]),
        "exstates": graphene.Argument(graphene.List(item), default_value=[]),
    }


def _flags() -> dict[str, graphene.Argument]:
    return {
        "is_held": graphene.Argument(graphene.Boolean),
        "is_queued": graphene.Argument(graphene.Boolean),
        "is_runahead": graphene.Argument(graphene.Boolean),
    }


def _depths(graph_depth: bool) -> dict[str, graphene.Argument]:
    depths = {
        "mindepth": graphene.Argument(graphene.Int, default_value=-1),
        "maxdepth": graphene.Argument(graphene.Int, default_value=-1),
    }
    if graph_depth:
        depths["graph_depth"] = graphene.Argument(graphene.Int, default_value=-1)
    return depths


def _sort() -> dict[str, graphene.Argument]:
    return {"sort": graphene.Argument(SortArgs, default_value=None)}


def strip_arg(default: bool | None = None) -> dict[str, graphene.Argument]:
    """``stripNull: Boolean`` (with ``default`` when given)."""
    if default is None:
        return {"strip_null": graphene.Argument(graphene.Boolean)}
    return {"strip_null": graphene.Argument(graphene.Boolean, default_value=default)}


def delta_args(store: bool = False, delta_type: str = "added") -> dict[str, graphene.Argument]:
    """``deltaStore`` and ``deltaType``: resolve from the frame instead of the live store."""
    return {
        "delta_store": graphene.Argument(graphene.Boolean, default_value=store),
        "delta_type": graphene.Argument(graphene.String, default_value=delta_type),
    }


def workflow_args() -> dict[str, graphene.Argument]:
    """``workflows`` / ``exworkflows`` globs of the root fields."""
    return {
        "workflows": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
        "exworkflows": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
    }


def def_args() -> dict[str, graphene.Argument]:
    """Filters of task and family definitions."""
    return {**_ids(), **_depths(False), **_sort()}


def proxy_args() -> dict[str, graphene.Argument]:
    """Filters of task and family proxies."""
    return {**_ids(), **_states(), **_flags(), **_depths(True), **_sort()}


def job_args() -> dict[str, graphene.Argument]:
    """Filters of jobs."""
    return {**_ids(), **_states(), **_sort()}


def edge_args() -> dict[str, graphene.Argument]:
    """Filters of edges (same shape as jobs)."""
    return job_args()


def nodes_edges_args() -> dict[str, graphene.Argument]:
    """Filters of a ``nodesEdges`` graph walk."""
    return {
        **_ids(),
        **_states(),
        **_flags(),
        "distance": graphene.Argument(graphene.Int, default_value=1),
        **_depths(False),
        **_sort(),
    }


def subscription_args(
    strip: bool = True, store: bool = True, interval: float = 0
) -> dict[str, graphene.Argument]:
    """The behaviour arguments every per-type subscription takes (web-api §8)."""
    return {
        **strip_arg(strip),
        **delta_args(store),
        "initial_burst": graphene.Argument(graphene.Boolean, default_value=True),
        "ignore_interval": graphene.Argument(graphene.Float, default_value=interval),
    }


def states_as_ids() -> dict[str, graphene.Argument]:
    """``states`` / ``exstates`` typed ``[ID]``, as the root ``jobs`` query has them."""
    return _states(graphene.ID)
