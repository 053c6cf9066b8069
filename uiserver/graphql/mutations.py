"""The 21 mutations (web-api §11): 18 forwarded to schedulers, ``play``, ``clean`` and ``scan`` run here.

Descriptions matter: the web UI shows the first paragraph in its command
menu, the rest as help, and enables a command only for the workflow
statuses named in its ``Valid for: ... workflows.`` sentence (web-api §5).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final

import graphene
from graphene.types.generic import GenericScalar
from graphql import GraphQLError

from . import scalars as S

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

__all__ = [
    "BroadcastMode",
    "LogLevels",
    "MUTATIONS",
    "VALID_FOR",
    "WorkflowRunMode",
    "WorkflowStopMode",
    "graphql_arguments",
]


class BroadcastMode(graphene.Enum):
    """What a broadcast does."""

    Set = "Set"
    Clear = "Clear"
    Expire = "Expire"

    @property
    def description(self) -> str:
        return {
            "Set": "Add settings to the broadcast.",
            "Clear": "Remove settings from the broadcast.",
            "Expire": "Remove broadcasts for cycle points earlier than the cutoff.",
        }[self.name]


class LogLevels(graphene.Enum):
    """Scheduler logging levels."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    NORMAL = "NORMAL"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class WorkflowStopMode(graphene.Enum):
    """How a workflow stops."""

    Clean = "Clean"
    Kill = "Kill"
    Now = "Now"
    NowNow = "NowNow"

    @property
    def description(self) -> str:
        return {
            "Clean": "Wait for active jobs to finish, then shut down.",
            "Kill": "Kill active jobs, then shut down.",
            "Now": "Shut down without waiting for active jobs (they keep running).",
            "NowNow": "Shut down at once, skipping the shutdown handlers.",
        }[self.name]


class WorkflowRunMode(graphene.Enum):
    """How a workflow's tasks run."""

    Dummy = "Dummy"
    Live = "Live"
    Simulation = "Simulation"


#: Mutation -> the workflow statuses it is valid for (web-api §5 table).
VALID_FOR: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "broadcast", "extTrigger", "hold", "release", "reload", "releaseHoldPoint",
            "setGraphWindowExtent", "setHoldPoint", "setVerbosity", "trigger",
        ),
        "paused, running",
    ),
    **dict.fromkeys(
        ("kill", "message", "poll", "remove", "set", "stop"), "paused, running, stopping"
    ),
    "pause": "running",
    "resume": "paused",
    "play": "stopped",
    "clean": "stopped",
    "scan": "stopped",
}


def _arg(type_: Any, description: str, **kwargs: Any) -> graphene.Argument:
    return graphene.Argument(type_, description=description, **kwargs)


def _workflows() -> graphene.Argument:
    return _arg(graphene.NonNull(graphene.List(S.WorkflowID)), "The workflows to act on (IDs or globs).")


def _tasks() -> graphene.Argument:
    return _arg(
        graphene.NonNull(graphene.List(S.NamespaceIDGlob)),
        "Task or family IDs, relative to the workflow: ``cycle[/namespace][:state]``; globs allowed.",
    )


def _flow() -> graphene.Argument:
    return _arg(
        graphene.List(graphene.NonNull(S.Flow)),
        "Flow numbers (or ``all``, ``new``, ``none``); empty means the flows of the active tasks.",
        default_value=[],
    )


def _flow_wait() -> graphene.Argument:
    return _arg(
        graphene.Boolean,
        "Wait for the flow to catch up before continuing downstream.",
        default_value=False,
    )


def _flow_descr() -> graphene.Argument:
    return _arg(graphene.String, "A description of the new flow, if one is started.")


# name -> (GraphQL type name, summary, help, arguments). The "Valid for"
# sentence is added from VALID_FOR.
_SPECS: Final[dict[str, tuple[str, str, str, dict[str, Any]]]] = {
    "broadcast": (
        "Broadcast",
        "Override `[runtime]` settings of tasks in the running workflow.",
        "Settings are set (or cleared) for the given cycle points and namespaces, and apply to "
        "every job submitted afterwards. Broadcasts live until they are cleared, expire, or the "
        "workflow is restarted without its database.",
        {
            "mode": _arg(
                graphene.NonNull(BroadcastMode), "Set, clear or expire settings.",
                default_value=BroadcastMode.Set,
            ),
            "cycle_points": _arg(
                graphene.List(S.BroadcastCyclePoint),
                "Cycle points to target; `*` means every cycle point.",
                default_value=["*"],
            ),
            "namespaces": _arg(
                graphene.List(S.NamespaceName),
                "Tasks or families to target; `root` means every task.",
                default_value=["root"],
            ),
            "settings": _arg(
                graphene.List(S.BroadcastSetting),
                "Settings as nested objects, e.g. `{\"environment\": {\"X\": \"1\"}}`.",
            ),
            "cutoff": _arg(S.CyclePoint, "With `Expire`: clear broadcasts earlier than this point."),
        },
    ),
    "extTrigger": (
        "ExtTrigger",
        "Satisfy an external trigger.",
        "Tasks waiting on the external trigger with this message receive it together with the "
        "given ID, which becomes available to them as an environment variable.",
        {
            "message": _arg(graphene.NonNull(graphene.String), "The external trigger message."),
            "id": _arg(graphene.NonNull(graphene.String), "An ID for this trigger event."),
        },
    ),
    "message": (
        "Message",
        "Send task messages on behalf of a job.",
        "This is what `cylc message` does from inside a job: report outputs, warnings or "
        "custom messages as if the job had sent them.",
        {
            "task_job": _arg(graphene.NonNull(graphene.String), "The job, `cycle/task/NN`."),
            "event_time": _arg(
                graphene.String, "When the event happened (ISO 8601); default now.",
                default_value=None,
            ),
            "messages": _arg(
                graphene.List(graphene.List(graphene.String)),
                "A list of `[severity, message]` pairs.",
                default_value=None,
            ),
        },
    ),
    "pause": (
        "Pause",
        "Pause the workflow.",
        "No new jobs are submitted while paused; active jobs carry on and their messages are "
        "still handled. Resume to continue.",
        {},
    ),
    "reload": (
        "Reload",
        "Reload the workflow definition.",
        "The workflow is re-read from its installed `flow.cylc`; changes apply to tasks that have "
        "not started yet. Optionally reload the global configuration too.",
        {
            "reload_global": _arg(
                graphene.Boolean, "Also reload the global configuration.", default_value=False
            ),
        },
    ),
    "resume": (
        "Resume",
        "Resume a paused workflow.",
        "Job submission restarts where it stopped when the workflow was paused.",
        {},
    ),
    "setVerbosity": (
        "SetVerbosity",
        "Change the scheduler's logging level.",
        "Messages below the chosen level are no longer written to the scheduler log.",
        {"level": _arg(graphene.NonNull(LogLevels), "The new logging level.")},
    ),
    "setGraphWindowExtent": (
        "SetGraphWindowExtent",
        "Set the extent of the n-window.",
        "The n-window holds the tasks within this many graph edges of the active tasks. Larger "
        "values show more of the graph but cost more to compute and display.",
        {"n_edge_distance": _arg(graphene.NonNull(graphene.Int), "The number of edges (n).")},
    ),
    "stop": (
        "Stop",
        "Stop the workflow.",
        "By default the scheduler waits for active jobs to finish and then shuts down. It can "
        "instead stop after a cycle point, at a wall-clock time, after a task completes, or "
        "once a flow has finished.",
        {
            "mode": _arg(WorkflowStopMode, "How to stop.", default_value=WorkflowStopMode.Clean),
            "cycle_point": _arg(S.CyclePoint, "Stop after this cycle point."),
            "clock_time": _arg(S.TimePoint, "Stop at this wall-clock time."),
            "task": _arg(S.TaskID, "Stop after this task succeeds."),
            "flow_num": _arg(graphene.Int, "Stop this flow only, once it has finished."),
        },
    ),
    "setHoldPoint": (
        "SetHoldPoint",
        "Hold all tasks after a cycle point.",
        "Tasks beyond the hold point are held when they appear; tasks at or before it carry on.",
        {"point": _arg(graphene.NonNull(S.CyclePoint), "The hold point.")},
    ),
    "releaseHoldPoint": (
        "ReleaseHoldPoint",
        "Remove the hold point and release all held tasks.",
        "Every held task is released, whether it was held by the hold point or by hand.",
        {},
    ),
    "hold": (
        "Hold",
        "Hold tasks.",
        "Held tasks do not submit jobs. Holding a task that has an active job does not affect "
        "the job. Release the tasks to let them run.",
        {"tasks": _tasks()},
    ),
    "kill": (
        "Kill",
        "Kill the active jobs of tasks.",
        "Killed jobs fail (or fail to submit); their tasks are held so that they do not retry "
        "at once.",
        {"tasks": _tasks()},
    ),
    "poll": (
        "Poll",
        "Poll the active jobs of tasks.",
        "The job runner and job status files are checked to find out the current state of each "
        "job, e.g. after a lost connection.",
        {"tasks": _tasks()},
    ),
    "release": (
        "Release",
        "Release held tasks.",
        "Released tasks submit their jobs once their prerequisites are met.",
        {"tasks": _tasks()},
    ),
    "remove": (
        "Remove",
        "Remove tasks from the workflow.",
        "The tasks are removed from the given flows (all by default); active jobs are killed. "
        "Downstream tasks will not see their outputs in those flows.",
        {"tasks": _tasks(), "flow": _flow()},
    ),
    "set": (
        "SetPrereqsAndOutputs",
        "Set task prerequisites or outputs.",
        "Setting outputs completes them as if the job had produced them, which can spawn "
        "downstream tasks. Setting prerequisites satisfies them so that the task can run. With "
        "neither, the task's required outputs are set.",
        {
            "tasks": _tasks(),
            "flow": _flow(),
            "flow_wait": _flow_wait(),
            "flow_descr": _flow_descr(),
            "outputs": _arg(
                graphene.List(S.OutputLabel), "Outputs to complete, e.g. `succeeded`."
            ),
            "prerequisites": _arg(
                graphene.List(S.PrerequisiteString),
                "Prerequisites to satisfy, `cycle/task:output`, or `all`.",
            ),
        },
    ),
    "trigger": (
        "Trigger",
        "Run tasks now, whatever their prerequisites.",
        "Each task submits a job at once (or when the workflow is resumed), in the given flows.",
        {
            "tasks": _tasks(),
            "flow": _flow(),
            "flow_wait": _flow_wait(),
            "flow_descr": _flow_descr(),
            "on_resume": _arg(
                graphene.Boolean,
                "If the workflow is paused, wait until it is resumed.",
                default_value=False,
            ),
        },
    ),
    "play": (
        "Play",
        "Start, restart or resume workflows.",
        "A stopped workflow is started with `cylc play` (restarted if it has run before); a "
        "paused one is resumed. The options are those of `cylc play`.",
        {
            "cylc_version": _arg(S.CylcVersion, "Run with this Cylc version."),
            "initial_cycle_point": _arg(S.CyclePoint, "Initial cycle point (new runs only)."),
            "start_cycle_point": _arg(S.CyclePoint, "Start from this cycle point (new runs only)."),
            "final_cycle_point": _arg(S.CyclePoint, "Final cycle point."),
            "stop_cycle_point": _arg(S.CyclePoint, "Stop after this cycle point."),
            "pause": _arg(graphene.Boolean, "Start paused."),
            "hold_cycle_point": _arg(S.CyclePoint, "Hold tasks after this cycle point."),
            "mode": _arg(WorkflowRunMode, "Run mode.", default_value=WorkflowRunMode.Live),
            "host": _arg(graphene.String, "Run the scheduler on this host."),
            "main_loop": _arg(graphene.List(graphene.String), "Main loop plugins to enable."),
            "upgrade": _arg(
                graphene.Boolean, "Allow a Cylc 7 workflow to be upgraded.", default_value=False
            ),
            "abort_if_any_task_fails": _arg(
                graphene.Boolean, "Abort if any task fails.", default_value=False
            ),
            "debug": _arg(graphene.Boolean, "Log at DEBUG level.", default_value=False),
            "no_timestamp": _arg(
                graphene.Boolean, "Leave timestamps out of the log.", default_value=False
            ),
            "set": _arg(graphene.List(graphene.String), "Template variables, `NAME=VALUE`."),
            "set_file": _arg(graphene.String, "A file of template variables."),
        },
    ),
    "clean": (
        "Clean",
        "Delete stopped workflows.",
        "The run directories are removed, locally and on remote platforms, unless limited to "
        "one side or to the files matched by `rm`.",
        {
            "rm": _arg(
                graphene.String, "Only remove these files or directories (colon-separated globs).",
                default_value="",
            ),
            "local_only": _arg(graphene.Boolean, "Only clean on the local host.", default_value=False),
            "remote_only": _arg(
                graphene.Boolean, "Only clean on remote platforms.", default_value=False
            ),
        },
    ),
    "scan": (
        "Scan",
        "Scan for workflows.",
        "Look for new, started and stopped workflows in the run directory now rather than at "
        "the next periodic scan.",
        {},
    ),
}

def description_of(name: str) -> str:
    """The full description of mutation ``name``: summary, help, validity."""
    _, summary, help_text, _ = _SPECS[name]
    return f"{summary}\n\n{help_text}\n\nValid for: {VALID_FOR[name]} workflows."


_ARG_NAMES: dict[str, dict[str, str]] = {}


def graphql_arguments(info: GraphQLResolveInfo, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Resolver kwargs back in GraphQL terms: camelCase names, enum values as their names.

    graphql-core has already applied the schema defaults.
    """
    names = _ARG_NAMES.get(info.field_name)
    if names is None:
        field = info.parent_type.fields[info.field_name]
        names = _ARG_NAMES[info.field_name] = {
            (argument.out_name or name): name for name, argument in field.args.items()
        }
    return {
        names.get(key, key): value.name if isinstance(value, enum.Enum) else value
        for key, value in kwargs.items()
    }


def _commands(info: GraphQLResolveInfo) -> Any:
    commands = info.context.commands
    if commands is None:
        raise GraphQLError("Commands are not available")
    return commands


def _forwarded(name: str):
    async def mutate(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> dict[str, Any]:
        from .schema import MUTATION_ARGUMENT_TYPES

        commands = _commands(info)
        result, errors = await commands.forward(
            name,
            graphql_arguments(info, kwargs),
            arg_types=MUTATION_ARGUMENT_TYPES[name],
            user=info.context.user,
        )
        info.context.extra_errors.extend({"message": str(message)} for message in errors)
        return {"result": result}

    return mutate


async def _play(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> dict[str, Any]:
    commands = _commands(info)
    return {"result": await commands.play(graphql_arguments(info, kwargs), user=info.context.user)}


async def _clean(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> dict[str, Any]:
    commands = _commands(info)
    return {"result": await commands.clean(graphql_arguments(info, kwargs), user=info.context.user)}


async def _scan(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> dict[str, Any]:
    commands = _commands(info)
    return {"result": await commands.scan(user=info.context.user)}


def _mutation_type(name: str) -> type[graphene.Mutation]:
    type_name, summary, help_text, arguments = _SPECS[name]
    if name == "scan":
        fields: dict[str, Any] = {}
        mutate = _scan
    else:
        fields = {**arguments, "workflows": _workflows()}
        mutate = {"play": _play, "clean": _clean}.get(name) or _forwarded(name)
    return type(
        type_name,
        (graphene.Mutation,),
        {
            "__doc__": description_of(name),
            "Arguments": type("Arguments", (), fields),
            "result": GenericScalar(description="The outcome; see the mutation's description."),
            "mutate": staticmethod(mutate),
        },
    )


#: Mutation field name -> its graphene mutation type, in schema order.
MUTATIONS: Final[dict[str, type[graphene.Mutation]]] = {
    name: _mutation_type(name) for name in _SPECS
}
