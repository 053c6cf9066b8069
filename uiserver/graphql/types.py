"""Element object types, resolved from the replica's protobuf messages (protocol §5).

Plain fields use :func:`~uiserver.graphql.resolvers.proto_field_resolver`
(the protobuf field of the same snake_case name); GraphQL-only shapes
(JSON-backed settings, maps, relations) have their own resolvers below.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import graphene
from graphene.types.generic import GenericScalar

from uiserver.scheduler.messages import PbFamilyProxy, PbTaskProxy

from . import args as A
from .filters import nodes_edges, to_snake_case
from .resolvers import (
    Bound,
    bound_field_resolver,
    element_source,
    filtered,
    find_element,
    live_version,
    proto_field_resolver,
    relation_list,
    relation_one,
    workflow_id_of,
)

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

__all__ = [
    "Condition",
    "Edge",
    "Edges",
    "Family",
    "FamilyProxy",
    "Job",
    "LogRecord",
    "Node",
    "NodeMeta",
    "NodesEdges",
    "NodesEdgesResult",
    "Output",
    "PollTask",
    "Prerequisite",
    "Runtime",
    "RuntimeSetting",
    "Task",
    "TaskProxy",
    "TaskRunMode",
    "TimeZone",
    "UISJob",
    "UISTask",
    "Workflow",
    "XTrigger",
]


def _field(type_: Any, resolver: Any = None, args: dict | None = None, description: str | None = None):
    return graphene.Field(type_, args=args or {}, resolver=resolver, description=description)


def _list(type_: Any, resolver: Any = None, args: dict | None = None, description: str | None = None):
    return graphene.Field(
        graphene.List(type_), args=args or {}, resolver=resolver, description=description
    )


def _strip(info: GraphQLResolveInfo) -> bool:
    return info.context.strip_null


def _json(root: Any, name: str, info: GraphQLResolveInfo) -> Any:
    """The JSON value of text field ``name``; null when unset (strip) or unreadable."""
    if root.__class__ is dict:
        return root.get(name)
    if not root.HasField(name):
        if _strip(info):
            return None
    text = getattr(root, name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _map_dict(root: Any, name: str, info: GraphQLResolveInfo) -> dict | None:
    """A ``map<string, int32>`` field as a plain dict (null if empty under stripNull)."""
    if root.__class__ is dict:
        return root.get(name)
    value = dict(getattr(root, name))
    if not value and _strip(info):
        return None
    return value


# -- small leaf types -----------------------------------------------------------


class NodeMeta(graphene.ObjectType):
    """The ``[meta]`` section of a workflow, task or family."""

    class Meta:
        default_resolver = proto_field_resolver

    title = graphene.String()
    description = graphene.String()
    URL = graphene.String()
    user_defined = GenericScalar(description="Every other ``[meta]`` setting, as an object.")

    @staticmethod
    def resolve_user_defined(root: Any, info: GraphQLResolveInfo) -> Any:
        return _json(root, "user_defined", info)


class TimeZone(graphene.ObjectType):
    """The scheduler's time zone."""

    class Meta:
        default_resolver = proto_field_resolver

    hours = graphene.Int()
    minutes = graphene.Int()
    string_basic = graphene.String()
    string_extended = graphene.String()


class LogRecord(graphene.ObjectType):
    """A scheduler log record of level WARNING or above."""

    class Meta:
        default_resolver = proto_field_resolver

    level = graphene.String()
    message = graphene.String()


class RuntimeSetting(graphene.ObjectType):
    """One ``key = value`` runtime setting (directives, environment, outputs)."""

    key = graphene.String()
    value = graphene.String()


class TaskRunMode(graphene.Enum):
    """How a task runs."""

    Live = "live"
    Simulation = "simulation"
    Dummy = "dummy"
    Skip = "skip"


_RUN_MODES = frozenset(mode.value for mode in TaskRunMode._meta.enum)


def _settings(name: str):
    def resolve(root: Any, info: GraphQLResolveInfo) -> list[dict] | None:
        value = _json(root, name, info)
        if not isinstance(value, list):
            return None if _strip(info) else []
        return [item for item in value if isinstance(item, dict)]

    return resolve


class Runtime(graphene.ObjectType):
    """The effective ``[runtime]`` of a namespace (broadcasts applied for proxies)."""

    class Meta:
        default_resolver = proto_field_resolver

    platform = graphene.String()
    script = graphene.String()
    completion = graphene.String()
    init_script = graphene.String()
    env_script = graphene.String()
    err_script = graphene.String()
    exit_script = graphene.String()
    pre_script = graphene.String()
    post_script = graphene.String()
    work_sub_dir = graphene.String()
    execution_polling_intervals = graphene.String()
    execution_retry_delays = graphene.String()
    execution_time_limit = graphene.String()
    submission_polling_intervals = graphene.String()
    submission_retry_delays = graphene.String()
    directives = _list(RuntimeSetting, _settings("directives"))
    environment = _list(RuntimeSetting, _settings("environment"))
    outputs = _list(RuntimeSetting, _settings("outputs"))
    run_mode = graphene.Field(TaskRunMode)

    @staticmethod
    def resolve_run_mode(root: Any, info: GraphQLResolveInfo) -> str | None:
        if not root.HasField("run_mode"):
            return None
        mode = root.run_mode.lower()
        return mode if mode in _RUN_MODES else None


class Output(graphene.ObjectType):
    """A task output."""

    class Meta:
        default_resolver = proto_field_resolver

    label = graphene.String()
    message = graphene.String()
    satisfied = graphene.Boolean()
    time = graphene.Float()


class XTrigger(graphene.ObjectType):
    """An xtrigger or external trigger of a task."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.String()
    label = graphene.String()
    message = graphene.String()
    satisfied = graphene.Boolean()
    time = graphene.Float()


class PollTask(graphene.ObjectType):
    """A workflow-state polling edge."""

    class Meta:
        default_resolver = proto_field_resolver

    local_proxy = graphene.ID()
    workflow = graphene.String()
    remote_proxy = graphene.ID()
    req_state = graphene.String()
    graph_string = graphene.String()


# -- maps as lists ----------------------------------------------------------------


def _mapping_list(name: str):
    """Resolve a ``map<string, message>`` field as a list, filtered and sorted.

    A partial element's map holds only the entries that changed, so the live
    element's full map is used when there is one.
    """

    def resolve(
        root: Any,
        info: GraphQLResolveInfo,
        sort: Any = None,
        sort_order: list[str] | None = None,
        limit: int = 0,
        satisfied: bool | None = None,
    ) -> list[Any] | None:
        mapping = getattr(root, name)
        if not mapping:
            return None if _strip(info) else []
        items = list(getattr(live_version(root, info, "task_proxies"), name).values())
        if satisfied is not None:
            items = [item for item in items if item.satisfied == satisfied]
        if sort is not None:
            keys = list(sort.get("keys") or ["id"])
            valid = [key for key in map(to_snake_case, keys) if items and hasattr(items[0], key)]
            if valid:
                items.sort(
                    key=lambda item: tuple(getattr(item, key) for key in valid),
                    reverse=bool(sort.get("reverse")),
                )
        elif sort_order:
            rank = {label: index for index, label in enumerate(sort_order)}
            last = len(rank)
            items.sort(key=lambda item: rank.get(item.label, last))
        if limit and limit > 0:
            items = items[:limit]
        return items

    return resolve


def _trigger_args(sort_order_default: list[str] | None = None) -> dict:
    order = (
        graphene.Argument(graphene.List(graphene.String))
        if sort_order_default is None
        else graphene.Argument(graphene.List(graphene.String), default_value=sort_order_default)
    )
    return {
        "sort": graphene.Argument(A.SortArgs, default_value=None),
        "sort_order": order,
        "limit": graphene.Argument(graphene.Int, default_value=0),
        "satisfied": graphene.Argument(graphene.Boolean),
    }


_OUTPUT_ORDER = ["expired", "submitted", "submit-failed", "started", "succeeded", "failed"]


# -- prerequisites ----------------------------------------------------------------


def _condition_task_proxy(root: Bound, info: GraphQLResolveInfo, **args: Any) -> Any:
    relative = root.msg.task_proxy
    if not relative:
        return None
    source = element_source(
        info, "task_proxies", root.workflow_id,
        args.get("delta_store", False), args.get("delta_type", "added"),
    )
    return source.get(f"{root.workflow_id}//{relative}")


class Condition(graphene.ObjectType):
    """One term of a prerequisite expression."""

    class Meta:
        default_resolver = bound_field_resolver

    task_id = graphene.String(description="Relative ID of the upstream task, ``cycle/task``.")
    task_proxy = _field(
        lambda: TaskProxy, _condition_task_proxy, {**A.strip_arg(), **A.delta_args()}
    )
    expr_alias = graphene.String()
    req_state = graphene.String()
    satisfied = graphene.Boolean()
    message = graphene.String()

    @staticmethod
    def resolve_task_id(root: Bound, info: GraphQLResolveInfo) -> str | None:
        msg = root.msg
        if _strip(info) and not msg.HasField("task_proxy"):
            return None
        return msg.task_proxy


class Prerequisite(graphene.ObjectType):
    """A prerequisite of a task proxy."""

    class Meta:
        default_resolver = bound_field_resolver

    expression = graphene.String()
    conditions = graphene.List(Condition)
    cycle_points = graphene.List(graphene.String)
    satisfied = graphene.Boolean()

    @staticmethod
    def resolve_conditions(root: Bound, info: GraphQLResolveInfo) -> list[Bound] | None:
        conditions = root.msg.conditions
        if not conditions and _strip(info):
            return None
        return [Bound(condition, root.workflow_id) for condition in conditions]


# -- definitions ----------------------------------------------------------------


class Task(graphene.ObjectType):
    """A task definition."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    name = graphene.String()
    meta = graphene.Field(NodeMeta)
    runtime = graphene.Field(Runtime)
    mean_elapsed_time = graphene.Float()
    depth = graphene.Int()
    proxies = _list(
        lambda: TaskProxy,
        relation_list("tasks", "proxies", "task_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    parents = _list(
        lambda: Family,
        relation_list("tasks", "parents", "families"),
        {**A.def_args(), **A.strip_arg(), **A.delta_args()},
    )
    namespace = graphene.List(graphene.String)
    first_parent = _field(
        lambda: Family,
        relation_one("tasks", "first_parent", "families"),
        {**A.strip_arg(), **A.delta_args()},
    )


class UISTask(Task):
    """A task definition, or (``live: false``) timing statistics of its succeeded jobs."""

    class Meta:
        default_resolver = proto_field_resolver

    platform = graphene.String()
    min_total_time = graphene.Int()
    mean_total_time = graphene.Int()
    max_total_time = graphene.Int()
    std_dev_total_time = graphene.Int()
    queue_quartiles = graphene.List(graphene.Int)
    min_queue_time = graphene.Int()
    mean_queue_time = graphene.Int()
    max_queue_time = graphene.Int()
    std_dev_queue_time = graphene.Int()
    run_quartiles = graphene.List(graphene.Int)
    min_run_time = graphene.Int()
    mean_run_time = graphene.Int()
    max_run_time = graphene.Int()
    std_dev_run_time = graphene.Int()
    total_quartiles = graphene.List(graphene.Int)
    count = graphene.Int()


class Family(graphene.ObjectType):
    """A family definition."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    name = graphene.String()
    meta = graphene.Field(NodeMeta)
    runtime = graphene.Field(Runtime)
    depth = graphene.Int()
    proxies = _list(
        lambda: FamilyProxy,
        relation_list("families", "proxies", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    parents = _list(
        lambda: Family,
        relation_list("families", "parents", "families"),
        {**A.def_args(), **A.strip_arg(), **A.delta_args()},
    )
    child_tasks = _list(
        lambda: Task,
        relation_list("families", "child_tasks", "tasks"),
        {**A.def_args(), **A.strip_arg(), **A.delta_args()},
    )
    child_families = _list(
        lambda: Family,
        relation_list("families", "child_families", "families"),
        {**A.def_args(), **A.strip_arg(), **A.delta_args()},
    )
    first_parent = _field(
        lambda: Family,
        relation_one("families", "first_parent", "families"),
        {**A.strip_arg(), **A.delta_args()},
    )


# -- instances ------------------------------------------------------------------


def _proxy_parent_ids(owner: Any, info: GraphQLResolveInfo) -> list[str]:
    """Family proxy ids of a task proxy's direct parents (from its task definition)."""
    task = find_element(info, "tasks", owner.task) if owner.task else None
    if task is None:
        return [owner.first_parent] if owner.first_parent else []
    workflow_id = workflow_id_of(owner.id)
    cycle = owner.cycle_point
    return [f"{workflow_id}//{cycle}/{parent.rpartition('|')[2]}" for parent in task.parents]


def _prerequisites(root: Any, info: GraphQLResolveInfo) -> list[Bound] | None:
    prerequisites = root.prerequisites
    if not prerequisites and _strip(info):
        return None
    workflow_id = workflow_id_of(root.id)
    return [Bound(prerequisite, workflow_id) for prerequisite in prerequisites]


class TaskProxy(graphene.ObjectType):
    """A task instance: one task at one cycle point."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    task = _field(
        Task, relation_one("task_proxies", "task", "tasks"), {**A.strip_arg(), **A.delta_args()}
    )
    runtime = graphene.Field(Runtime)
    state = graphene.String()
    name = graphene.String()
    cycle_point = graphene.String()
    namespace = graphene.List(graphene.String)
    is_held = graphene.Boolean()
    is_queued = graphene.Boolean()
    is_runahead = graphene.Boolean()
    is_retry = graphene.Boolean()
    is_wallclock = graphene.Boolean()
    is_xtriggered = graphene.Boolean()
    flow_nums = graphene.String(description="JSON list of the flow numbers, e.g. ``[1]``.")
    flow_wait = graphene.Boolean()
    depth = graphene.Int()
    graph_depth = graphene.Int()
    job_submits = graphene.Int()
    outputs = _list(Output, _mapping_list("outputs"), _trigger_args(_OUTPUT_ORDER))
    external_triggers = _list(XTrigger, _mapping_list("external_triggers"), _trigger_args())
    xtriggers = _list(XTrigger, _mapping_list("xtriggers"), _trigger_args())
    extras = GenericScalar()
    prerequisites = _list(Prerequisite, _prerequisites)
    jobs = _list(
        lambda: Job,
        relation_list("task_proxies", "jobs", "jobs"),
        {**A.job_args(), **A.strip_arg(), **A.delta_args()},
    )
    parents = _list(
        lambda: FamilyProxy,
        relation_list("task_proxies", "", "family_proxies", ids=_proxy_parent_ids),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    first_parent = _field(
        lambda: FamilyProxy,
        relation_one("task_proxies", "first_parent", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    ancestors = _list(
        lambda: FamilyProxy,
        relation_list("task_proxies", "ancestors", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )

    @staticmethod
    def resolve_extras(root: Any, info: GraphQLResolveInfo) -> Any:
        # Not in the 8.5.4 data model; kept for schema compatibility.
        return None


class Job(graphene.ObjectType):
    """One submission of a task proxy."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    submit_num = graphene.Int()
    state = graphene.String()
    name = graphene.String()
    cycle_point = graphene.String()
    task_proxy = _field(
        TaskProxy,
        relation_one("jobs", "task_proxy", "task_proxies"),
        {**A.strip_arg(), **A.delta_args()},
    )
    submitted_time = graphene.String()
    started_time = graphene.String()
    finished_time = graphene.String()
    job_id = graphene.ID()
    job_runner_name = graphene.String()
    execution_time_limit = graphene.Float()
    platform = graphene.String()
    job_log_dir = graphene.String()
    messages = graphene.List(graphene.String)
    runtime = graphene.Field(Runtime)


class UISJob(Job):
    """A job, or (``live: false``) a job row of the workflow database with its timings."""

    class Meta:
        default_resolver = proto_field_resolver

    total_time = graphene.Int()
    queue_time = graphene.Int()
    run_time = graphene.Int()


class FamilyProxy(graphene.ObjectType):
    """A family instance: one family at one cycle point."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    cycle_point = graphene.String()
    name = graphene.String()
    family = _field(
        Family,
        relation_one("family_proxies", "family", "families"),
        {**A.strip_arg(), **A.delta_args()},
    )
    runtime = graphene.Field(Runtime)
    state = graphene.String()
    states = graphene.List(graphene.String)
    state_totals = GenericScalar()
    is_held = graphene.Boolean()
    is_held_total = graphene.Int()
    is_queued = graphene.Boolean()
    is_queued_total = graphene.Int()
    is_runahead = graphene.Boolean()
    is_runahead_total = graphene.Int()
    is_retry = graphene.Boolean()
    is_wallclock = graphene.Boolean()
    is_xtriggered = graphene.Boolean()
    depth = graphene.Int()
    graph_depth = graphene.Int()
    child_tasks = _list(
        TaskProxy,
        relation_list("family_proxies", "child_tasks", "task_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    child_families = _list(
        lambda: FamilyProxy,
        relation_list("family_proxies", "child_families", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    first_parent = _field(
        lambda: FamilyProxy,
        relation_one("family_proxies", "first_parent", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    ancestors = _list(
        lambda: FamilyProxy,
        relation_list("family_proxies", "ancestors", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )

    @staticmethod
    def resolve_state_totals(root: Any, info: GraphQLResolveInfo) -> dict | None:
        return _map_dict(root, "state_totals", info)


# -- graph ----------------------------------------------------------------------


class Node(graphene.Union):
    """A graph node: a task proxy or a family proxy."""

    class Meta:
        types = (TaskProxy, FamilyProxy)

    @classmethod
    def resolve_type(cls, instance: Any, info: GraphQLResolveInfo) -> Any:
        if isinstance(instance, PbTaskProxy):
            return TaskProxy
        if isinstance(instance, PbFamilyProxy):
            return FamilyProxy
        return None


def _edge_node(field: str):
    def resolve(root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        node_id = getattr(root, field)
        if not node_id:
            return None
        workflow_id = workflow_id_of(node_id)
        delta_store = args.get("delta_store", False)
        delta_type = args.get("delta_type", "added")
        for type_name in ("task_proxies", "family_proxies"):
            node = element_source(info, type_name, workflow_id, delta_store, delta_type).get(node_id)
            if node is not None:
                return node
        return None

    return resolve


class Edge(graphene.ObjectType):
    """A dependency between two task proxies."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    source = graphene.ID()
    source_node = _field(Node, _edge_node("source"), {**A.strip_arg(), **A.delta_args()})
    target = graphene.ID()
    target_node = _field(Node, _edge_node("target"), {**A.strip_arg(), **A.delta_args()})
    suicide = graphene.Boolean()
    cond = graphene.Boolean()


def _edges_of(root: Bound, info: GraphQLResolveInfo, **args: Any) -> list[Any]:
    ids = root.msg.edges
    if not ids:
        return []
    source = element_source(
        info, "edges", root.workflow_id,
        args.get("delta_store", False), args.get("delta_type", "added"),
    )
    found = [edge for edge in map(source.get, ids) if edge is not None]
    return filtered(found, "edges", args)


class Edges(graphene.ObjectType):
    """The workflow's graph edge index."""

    class Meta:
        default_resolver = bound_field_resolver

    edges = _list(Edge, _edges_of, {**A.edge_args(), **A.strip_arg(), **A.delta_args()})
    workflow_polling_tasks = graphene.List(PollTask)
    leaves = graphene.List(graphene.String)
    feet = graphene.List(graphene.String)


class NodesEdgesResult:
    """What ``nodesEdges`` resolves to."""

    __slots__ = ("nodes", "edges")

    def __init__(self, nodes: list[Any], edges: list[Any]) -> None:
        self.nodes = nodes
        self.edges = edges


class NodesEdges(graphene.ObjectType):
    """Task proxies around a set of roots, and the edges between them."""

    nodes = graphene.List(TaskProxy)
    edges = graphene.List(Edge)


# -- workflow -------------------------------------------------------------------

_LATEST_STATES = [
    "waiting", "expired", "preparing", "submit-failed", "submitted", "running", "failed",
    "succeeded",
]


def _workflow_edges(root: Any, info: GraphQLResolveInfo, **args: Any) -> Bound | None:
    holder = root if root.HasField("edges") else live_version(root, info, "workflow")
    if not holder.HasField("edges") and _strip(info):
        return None
    return Bound(holder.edges, root.id)


def _workflow_nodes_edges(root: Any, info: GraphQLResolveInfo, **args: Any) -> NodesEdgesResult:
    replica = info.context.store.get(root.id)
    if replica is None:
        return NodesEdgesResult([], [])
    roots = filtered(list(replica.elements["task_proxies"].values()), "task_proxies", args)
    nodes, edges = nodes_edges(replica, roots, args.get("distance", 1))
    return NodesEdgesResult(nodes, edges)


def _broadcast_matches(point: str, namespace: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        relative = pattern.split("//", 1)[1] if "//" in pattern else pattern
        cycle, _, name = relative.partition("/")
        if fnmatchcase(point, cycle or "*") and fnmatchcase(namespace, name or "*"):
            return True
    return False


class Workflow(graphene.ObjectType):
    """A workflow, with its elements reachable through relations."""

    class Meta:
        default_resolver = proto_field_resolver

    id = graphene.ID()
    name = graphene.String()
    status = graphene.String()
    status_msg = graphene.String()
    host = graphene.String()
    port = graphene.Int()
    pub_port = graphene.Int()
    owner = graphene.String()
    tasks = _list(
        Task,
        relation_list("workflow", "tasks", "tasks"),
        {**A.def_args(), **A.strip_arg(), **A.delta_args()},
    )
    families = _list(
        Family,
        relation_list("workflow", "families", "families"),
        {**A.def_args(), **A.strip_arg(), **A.delta_args()},
    )
    task_proxies = _list(
        TaskProxy,
        relation_list("workflow", "task_proxies", "task_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    family_proxies = _list(
        FamilyProxy,
        relation_list("workflow", "family_proxies", "family_proxies"),
        {**A.proxy_args(), **A.strip_arg(), **A.delta_args()},
    )
    jobs = _list(
        Job,
        relation_list("workflow", "jobs", "jobs"),
        {**A.job_args(), **A.strip_arg(), **A.delta_args()},
    )
    edges = _field(Edges, _workflow_edges, {**A.edge_args(), **A.strip_arg(), **A.delta_args()})
    nodes_edges = _field(
        NodesEdges,
        _workflow_nodes_edges,
        {**A.nodes_edges_args(), **A.strip_arg(), **A.delta_args()},
    )
    api_version = graphene.Int()
    cylc_version = graphene.String()
    last_updated = graphene.Float()
    meta = graphene.Field(NodeMeta)
    newest_active_cycle_point = graphene.String()
    oldest_active_cycle_point = graphene.String()
    reloaded = graphene.Boolean()
    run_mode = graphene.String()
    is_held_total = graphene.Int()
    is_queued_total = graphene.Int()
    is_runahead_total = graphene.Int()
    state_totals = GenericScalar(description="Number of tasks in each state.")
    latest_state_tasks = GenericScalar(
        args={
            "states": graphene.Argument(graphene.List(graphene.String), default_value=_LATEST_STATES)
        },
        description="Per state, up to 5 relative IDs of the latest tasks to enter it.",
    )
    workflow_log_dir = graphene.String()
    time_zone_info = graphene.Field(TimeZone)
    tree_depth = graphene.Int()
    ns_def_order = graphene.List(graphene.String)
    job_log_names = graphene.List(graphene.String)
    states = graphene.List(graphene.String)
    broadcasts = GenericScalar(
        args={"ids": graphene.Argument(graphene.List(graphene.ID), default_value=[])},
        description="Active broadcasts, ``{cycle point: {namespace: settings}}``.",
    )
    pruned = graphene.Boolean()
    n_edge_distance = graphene.Int()
    log_records = graphene.List(LogRecord)

    @staticmethod
    def resolve_state_totals(root: Any, info: GraphQLResolveInfo) -> dict | None:
        return _map_dict(root, "state_totals", info)

    @staticmethod
    def resolve_latest_state_tasks(
        root: Any, info: GraphQLResolveInfo, states: list[str] | None = None
    ) -> dict | None:
        latest = root.latest_state_tasks
        if not latest:
            return None if _strip(info) else {}
        return {
            state: list(latest[state].task_proxies)
            for state in states or ()
            if state in latest
        }

    @staticmethod
    def resolve_broadcasts(
        root: Any, info: GraphQLResolveInfo, ids: list[str] | None = None
    ) -> dict | None:
        value = _json(root, "broadcasts", info)
        if not isinstance(value, dict):
            return None if _strip(info) else {}
        if not ids:
            return value
        result: dict[str, dict] = {}
        for point, namespaces in value.items():
            if not isinstance(namespaces, dict):
                continue
            for namespace, settings in namespaces.items():
                if _broadcast_matches(point, namespace, ids):
                    result.setdefault(point, {})[namespace] = settings
        return result
