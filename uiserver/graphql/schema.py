"""The GraphQL schema: ``UISQueries``, ``UISMutations``, ``UISSubscriptions``.

Compatible with the reference server's schema
(``reference/cylc-uis-schema.graphql``: every type, field, argument and
default), plus ``commandLog``. ``schema`` is the graphene schema;
``graphql_schema`` is the graphql-core schema every executor uses.
"""

from __future__ import annotations

from typing import Any, Final

import graphene
from graphene.types.generic import GenericScalar
from graphql import GraphQLSchema

from . import args as A
from . import queries as Q
from .deltas import Added, Deltas, Updated
from .mutations import MUTATIONS, description_of
from .resolvers import install_fast_resolvers
from .types import (
    Edge,
    Family,
    FamilyProxy,
    Job,
    NodesEdges,
    Task,
    TaskProxy,
    UISJob,
    UISTask,
    Workflow,
)

__all__ = ["MUTATION_ARGUMENT_TYPES", "graphql_schema", "schema"]


class LogFiles(graphene.ObjectType):
    """The log files of a workflow or job, newest first."""

    files = graphene.List(graphene.String)


class Logs(graphene.ObjectType):
    """One frame of a streamed log file."""

    lines = graphene.List(graphene.String)
    connected = graphene.Boolean()
    path = graphene.String()
    error = graphene.String()


class CommandOutcome(graphene.ObjectType):
    """What happened to a command for one workflow."""

    workflow = graphene.String()
    outcome = graphene.String(description="accepted, rejected, failed or timed out.")
    message = graphene.String()


class CommandLogEntry(graphene.ObjectType):
    """A command issued through this server."""

    time = graphene.Float(description="When it was issued (epoch seconds).")
    user = graphene.String()
    mutation = graphene.String()
    arguments = GenericScalar()
    outcomes = graphene.List(CommandOutcome)


def _id_arg() -> dict[str, graphene.Argument]:
    return {"id": graphene.Argument(graphene.NonNull(graphene.ID))}


def _field(type_: Any, resolver: Any, args: dict[str, Any], description: str) -> graphene.Field:
    return graphene.Field(type_, args=args, resolver=resolver, description=description)


def _list(type_: Any, resolver: Any, args: dict[str, Any], description: str) -> graphene.Field:
    return graphene.Field(
        graphene.List(type_), args=args, resolver=resolver, description=description
    )


def _live() -> dict[str, graphene.Argument]:
    return {
        "live": graphene.Argument(
            graphene.Boolean,
            default_value=True,
            description="Read the live store; false reads the workflow database.",
        )
    }


class UISQueries(graphene.ObjectType):
    """Queries, answered from the server's replicas (``live: false``: the workflow database)."""

    workflows = _list(
        Workflow,
        Q.resolve_workflows,
        {
            **A.strip_arg(),
            "ids": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
            "exids": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
        },
        "Workflows matching the ID globs.",
    )
    job = _field(Job, Q.resolve_element("jobs"), {**A.strip_arg(), **_id_arg()}, "A job by ID.")
    jobs = _list(
        UISJob,
        Q.resolve_jobs,
        {
            **A.strip_arg(),
            **_live(),
            **A.workflow_args(),
            **A.def_args(),
            "tasks": graphene.Argument(
                graphene.List(graphene.ID),
                default_value=[],
                description="Task names (deprecated: use ``ids: [\"*/<task>\"]``).",
            ),
            **A.states_as_ids(),
        },
        "Jobs of the matched workflows.",
    )
    task = _field(
        Task, Q.resolve_element("tasks"), {**A.strip_arg(), **_id_arg()}, "A task definition by ID."
    )
    tasks = _list(
        UISTask,
        Q.resolve_tasks,
        {**A.strip_arg(), **_live(), **A.workflow_args(), **A.def_args()},
        "Task definitions, or (``live: false``) job timing statistics per task.",
    )
    task_proxy = _field(
        TaskProxy,
        Q.resolve_element("task_proxies"),
        {**A.strip_arg(), **_id_arg()},
        "A task proxy by ID.",
    )
    task_proxies = _list(
        TaskProxy,
        Q.resolve_task_proxies,
        {**A.workflow_args(), **A.proxy_args(), **A.strip_arg()},
        "Task proxies of the matched workflows.",
    )
    family = _field(
        Family,
        Q.resolve_element("families"),
        {**A.strip_arg(), **_id_arg()},
        "A family definition by ID.",
    )
    families = _list(
        Family,
        Q.resolve_families,
        {**A.workflow_args(), **A.def_args(), **A.strip_arg()},
        "Family definitions of the matched workflows.",
    )
    family_proxy = _field(
        FamilyProxy,
        Q.resolve_element("family_proxies"),
        {**A.strip_arg(), **_id_arg()},
        "A family proxy by ID.",
    )
    family_proxies = _list(
        FamilyProxy,
        Q.resolve_family_proxies,
        {**A.workflow_args(), **A.proxy_args(), **A.strip_arg()},
        "Family proxies of the matched workflows.",
    )
    edges = _list(
        Edge,
        Q.resolve_edges,
        {**A.workflow_args(), "sort": graphene.Argument(A.SortArgs, default_value=None), **A.strip_arg()},
        "Graph edges of the matched workflows.",
    )
    nodes_edges = _field(
        NodesEdges,
        Q.resolve_nodes_edges,
        {**A.workflow_args(), **A.nodes_edges_args(), **A.strip_arg()},
        "Task proxies within ``distance`` edges of the matched ones, and those edges.",
    )
    log_files = _field(
        LogFiles, Q.resolve_log_files, _id_arg(), "Log files of a workflow or job."
    )
    command_log = _list(
        CommandLogEntry,
        Q.resolve_command_log,
        {"limit": graphene.Argument(graphene.Int, default_value=100)},
        "The newest commands issued through this server, newest first.",
    )


#: Commands: forwarded to the schedulers, or run by the server (play, clean, scan).
UISMutations = type(
    "UISMutations",
    (graphene.ObjectType,),
    {
        "__doc__": "Commands: forwarded to the schedulers, or run by the server (play, clean, scan).",
        **{
            name: mutation.Field(description=description_of(name))
            for name, mutation in MUTATIONS.items()
        },
    },
)


def _deltas(root: Any, info: Any, **args: Any) -> Any:
    # The subscription layer picks the workflows and hands us one frame.
    info.context.deltas_strip = bool(args.get("strip_null"))
    return info.root_value


_SUB: Final = A.subscription_args


class UISSubscriptions(graphene.ObjectType):
    """Subscriptions: each execution resolves one frame of one workflow (the root value)."""

    deltas = _field(
        Deltas,
        _deltas,
        {
            "workflows": graphene.Argument(graphene.List(graphene.ID)),
            **A.strip_arg(False),
            "initial_burst": graphene.Argument(graphene.Boolean, default_value=True),
            "ignore_interval": graphene.Argument(graphene.Float, default_value=0),
        },
        "Changes to the workflows, one frame per workflow and batch.",
    )
    workflows = _list(
        Workflow,
        Q.resolve_workflows,
        {
            "ids": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
            "exids": graphene.Argument(graphene.List(graphene.ID), default_value=[]),
            **_SUB(strip=False, store=False, interval=2.5),
        },
        "The workflow, re-sent whole on every change.",
    )
    job = _field(Job, Q.resolve_element("jobs"), {**_id_arg(), **_SUB()}, "A job by ID.")
    jobs = _list(
        Job,
        Q.resolve_subscription_jobs,
        {**A.workflow_args(), **A.job_args(), **_SUB()},
        "Jobs on every change.",
    )
    task = _field(Task, Q.resolve_element("tasks"), {**_id_arg(), **_SUB()}, "A task definition.")
    tasks = _list(
        Task,
        Q.resolve_subscription_tasks,
        {**A.workflow_args(), **A.def_args(), **_SUB()},
        "Task definitions on every change.",
    )
    task_proxy = _field(
        TaskProxy, Q.resolve_element("task_proxies"), {**_id_arg(), **_SUB()}, "A task proxy."
    )
    task_proxies = _list(
        TaskProxy,
        Q.resolve_task_proxies,
        {**A.workflow_args(), **A.proxy_args(), **_SUB()},
        "Task proxies on every change.",
    )
    family = _field(
        Family, Q.resolve_element("families"), {**_id_arg(), **_SUB()}, "A family definition."
    )
    families = _list(
        Family,
        Q.resolve_families,
        {**A.workflow_args(), **A.def_args(), **_SUB()},
        "Family definitions on every change.",
    )
    family_proxy = _field(
        FamilyProxy,
        Q.resolve_element("family_proxies"),
        {**_id_arg(), **_SUB()},
        "A family proxy.",
    )
    family_proxies = _list(
        FamilyProxy,
        Q.resolve_family_proxies,
        {**A.workflow_args(), **A.proxy_args(), **_SUB()},
        "Family proxies on every change.",
    )
    edges = _list(
        Edge,
        Q.resolve_edges,
        {**A.workflow_args(), "sort": graphene.Argument(A.SortArgs, default_value=None), **_SUB()},
        "Graph edges on every change.",
    )
    nodes_edges = _field(
        NodesEdges,
        Q.resolve_nodes_edges,
        {**A.workflow_args(), **A.nodes_edges_args(), **_SUB()},
        "The graph around the matched task proxies on every change.",
    )
    logs = _field(
        Logs,
        Q.resolve_logs,
        {**_id_arg(), "file": graphene.Argument(graphene.String)},
        "Lines of a log file as it grows (not available yet).",
    )


#: The graphene schema.
schema: Final = graphene.Schema(
    query=UISQueries,
    mutation=UISMutations,
    subscription=UISSubscriptions,
    types=[Added, Updated],
)

#: The graphql-core schema (what ``graphql.execute`` takes).
graphql_schema: Final[GraphQLSchema] = schema.graphql_schema
install_fast_resolvers(graphql_schema)

#: Mutation -> argument name -> GraphQL type (``[NamespaceIDGlob]!``), from the schema itself.
MUTATION_ARGUMENT_TYPES: Final[dict[str, dict[str, str]]] = {
    name: {arg_name: str(argument.type) for arg_name, argument in field.args.items()}
    for name, field in graphql_schema.mutation_type.fields.items()
}
