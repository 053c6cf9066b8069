"""Mutations call the command runner with GraphQL-named, defaulted arguments (web-api §11)."""

from __future__ import annotations

import pytest

from uiserver.graphql.schema import MUTATION_ARGUMENT_TYPES

from ._data import make_store, run_async


class RecordingCommands:
    """Stands in for ``uiserver.commands.CommandRunner`` (tested on its own) and records calls."""

    def __init__(self, errors: list[str] | None = None) -> None:
        self.calls: list[tuple] = []
        self.errors = errors or []

    async def forward(self, mutation, args, *, arg_types, user):
        self.calls.append(("forward", mutation, args, arg_types, user))
        return [{mutation: {"result": [{"id": "~u/wf", "response": [True, "uuid"]}]}}], self.errors

    async def play(self, args, *, user):
        self.calls.append(("play", args, user))
        return [True, "Workflow(s) started"]

    async def clean(self, args, *, user):
        self.calls.append(("clean", args, user))
        return [True, "Workflow(s) cleaned"]

    async def scan(self, *, user):
        self.calls.append(("scan", user))
        return [True, "Scan requested"]


async def _mutate(document: str, variables=None, commands=None):
    commands = commands or RecordingCommands()
    result, context = await run_async(make_store(), document, variables=variables, commands=commands)
    return result, context, commands


async def test_forwarded_mutation_with_defaults_and_enum_names():
    result, context, commands = await _mutate(
        'mutation { broadcast(workflows: ["~u/wf"], settings: [{environment: {X: "1"}}]) { result } }'
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "broadcast": {"result": [{"broadcast": {"result": [{"id": "~u/wf", "response": [True, "uuid"]}]}}]}
    }
    ((kind, name, args, arg_types, user),) = commands.calls
    assert (kind, name, user) == ("forward", "broadcast", "someone")
    assert args == {
        "workflows": ["~u/wf"],
        "settings": [{"environment": {"X": "1"}}],
        "mode": "Set",
        "cyclePoints": ["*"],
        "namespaces": ["root"],
    }
    assert arg_types == MUTATION_ARGUMENT_TYPES["broadcast"]
    assert context.extra_errors == []


@pytest.mark.parametrize(
    ("document", "variables", "name", "expected"),
    [
        (
            "mutation($w: [WorkflowID]!, $t: [NamespaceIDGlob]!) { hold(workflows: $w, tasks: $t) { result } }",
            {"w": ["wf"], "t": ["1/a:failed"]},
            "hold",
            {"workflows": ["wf"], "tasks": ["1/a:failed"]},
        ),
        (
            'mutation { trigger(workflows: ["wf"], tasks: ["1/a"], flowDescr: "again") { result } }',
            None,
            "trigger",
            {"workflows": ["wf"], "tasks": ["1/a"], "flow": [], "flowWait": False,
             "flowDescr": "again", "onResume": False},
        ),
        (
            'mutation { set(workflows: ["wf"], tasks: ["1/a"], outputs: ["x"], flow: ["1", "new"]) { result } }',
            None,
            "set",
            {"workflows": ["wf"], "tasks": ["1/a"], "flow": ["1", "new"], "flowWait": False,
             "outputs": ["x"]},
        ),
        (
            'mutation { stop(workflows: ["wf"], mode: NowNow, cyclePoint: "2") { result } }',
            None,
            "stop",
            {"workflows": ["wf"], "mode": "NowNow", "cyclePoint": "2"},
        ),
        (
            'mutation { stop(workflows: ["wf"]) { result } }',
            None,
            "stop",
            {"workflows": ["wf"], "mode": "Clean"},
        ),
        (
            'mutation { setVerbosity(workflows: ["wf"], level: INFO) { result } }',
            None,
            "setVerbosity",
            {"workflows": ["wf"], "level": "INFO"},
        ),
        (
            'mutation { setGraphWindowExtent(workflows: ["wf"], nEdgeDistance: 2) { result } }',
            None,
            "setGraphWindowExtent",
            {"workflows": ["wf"], "nEdgeDistance": 2},
        ),
        (
            'mutation { message(workflows: ["wf"], taskJob: "1/a/01", messages: [["INFO", "hi"]]) { result } }',
            None,
            "message",
            {"workflows": ["wf"], "taskJob": "1/a/01", "messages": [["INFO", "hi"]], "eventTime": None},
        ),
        (
            'mutation { extTrigger(workflows: ["wf"], message: "m", id: "x") { result } }',
            None,
            "extTrigger",
            {"workflows": ["wf"], "message": "m", "id": "x"},
        ),
        (
            'mutation { reload(workflows: ["wf"]) { result } }',
            None,
            "reload",
            {"workflows": ["wf"], "reloadGlobal": False},
        ),
        ('mutation { pause(workflows: ["wf"]) { result } }', None, "pause", {"workflows": ["wf"]}),
        (
            'mutation { setHoldPoint(workflows: ["wf"], point: "3") { result } }',
            None,
            "setHoldPoint",
            {"workflows": ["wf"], "point": "3"},
        ),
        (
            'mutation { remove(workflows: ["wf"], tasks: ["1/*"]) { result } }',
            None,
            "remove",
            {"workflows": ["wf"], "tasks": ["1/*"], "flow": []},
        ),
    ],
)
async def test_forwarded_arguments(document, variables, name, expected):
    result, _context, commands = await _mutate(document, variables)
    assert result.errors is None, result.errors
    ((kind, called, args, arg_types, _user),) = commands.calls
    assert (kind, called) == ("forward", name)
    assert args == expected
    assert arg_types == MUTATION_ARGUMENT_TYPES[name]


async def test_unreachable_schedulers_become_errors():
    commands = RecordingCommands(errors=["~u/wf is not running"])
    result, context, _ = await _mutate(
        'mutation { kill(workflows: ["wf"], tasks: ["1/a"]) { result } }', commands=commands
    )
    assert result.errors is None
    assert context.extra_errors == [{"message": "~u/wf is not running"}]


async def test_play_clean_scan_run_here():
    result, _context, commands = await _mutate(
        'mutation { play(workflows: ["wf"], mode: Simulation, pause: true, set: ["X=1"]) { result } }'
    )
    assert result.data == {"play": {"result": [True, "Workflow(s) started"]}}
    assert commands.calls == [
        ("play", {"workflows": ["wf"], "mode": "Simulation", "pause": True, "set": ["X=1"],
                  "upgrade": False, "abortIfAnyTaskFails": False, "debug": False,
                  "noTimestamp": False}, "someone")
    ]
    result, _context, commands = await _mutate('mutation { clean(workflows: ["wf"]) { result } }')
    assert result.data == {"clean": {"result": [True, "Workflow(s) cleaned"]}}
    assert commands.calls == [
        ("clean", {"workflows": ["wf"], "rm": "", "localOnly": False, "remoteOnly": False}, "someone")
    ]
    result, _context, commands = await _mutate("mutation scan { scan { result } }")
    assert result.data == {"scan": {"result": [True, "Scan requested"]}}
    assert commands.calls == [("scan", "someone")]


async def test_without_commands_mutations_fail():
    result, _context = await run_async(make_store(), 'mutation { pause(workflows: ["wf"]) { result } }')
    assert result.data == {"pause": None}
    assert [e.message for e in result.errors] == ["Commands are not available"]


async def test_invalid_enum_is_rejected_before_running():
    result, _context, commands = await _mutate('mutation { stop(workflows: ["wf"], mode: Later) { result } }')
    assert result.errors and commands.calls == []
