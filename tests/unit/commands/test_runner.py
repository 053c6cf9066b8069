"""CommandRunner against fake schedulers and fake ``cylc`` executables.

The schedulers are stand-in clients (their real behaviour is covered by
tests/integration/test_commands.py); the subprocesses are real processes.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from uiserver.commands import (
    ACCEPTED,
    FAILED,
    REJECTED,
    TIMED_OUT,
    CommandRunner,
    Outcome,
    classify_reply,
    combine_results,
)
from uiserver.scheduler.errors import KeyLoadError, RequestTimeout, SchedulerRequestError
from uiserver.store import Store
from uiserver.workflows import WorkflowEntry

HOLD_TYPES = {"workflows": "[WorkflowID]!", "tasks": "[NamespaceIDGlob]!"}
PLAY_TYPES_DEFAULTS = {"mode": "Live", "upgrade": False}


def entry(workflow_id: str, running: bool) -> WorkflowEntry:
    name = workflow_id.split("/", 1)[1]
    return WorkflowEntry(
        id=workflow_id, name=name, path=Path("/nonexistent") / name, running=running,
        contact=None, status_msg="running" if running else "stopped", problem=None,
    )


class FakeRegistry:
    def __init__(self, *entries: WorkflowEntry) -> None:
        self.entries = {e.id: e for e in entries}
        self.scans = 0

    def get(self, workflow_id: str) -> WorkflowEntry | None:
        return self.entries.get(workflow_id)

    def request_scan(self) -> None:
        self.scans += 1


class FakeClient:
    """Answers like a scheduler's ``graphql`` endpoint, or hangs, or raises."""

    def __init__(self, workflow_id: str, behaviour: Any = "ok") -> None:
        self.workflow_id = workflow_id
        self.behaviour = behaviour
        self.calls: list[tuple[str, dict, str | None, float | None]] = []

    async def graphql(self, document, variables=None, *, auth_user=None, timeout=None):
        self.calls.append((document, variables, auth_user, timeout))
        if self.behaviour == "hang":
            await asyncio.Event().wait()
        if isinstance(self.behaviour, Exception):
            raise self.behaviour
        if self.behaviour == "ok":
            mutation = document.split("{", 1)[1].split("(", 1)[0].strip()
            return {mutation: {"result": [{"id": self.workflow_id, "response": [True, "uuid-1"]}]}}
        return self.behaviour


class FakeSync:
    def __init__(self, clients: dict[str, Any]) -> None:
        self.store = Store()
        self.clients = clients

    async def client(self, workflow_id: str):
        client = self.clients.get(workflow_id)
        if isinstance(client, Exception):
            raise client
        return client


def make_runner(entries, clients, **kwargs) -> tuple[CommandRunner, FakeRegistry, FakeSync]:
    registry = FakeRegistry(*entries)
    sync = FakeSync(clients)
    runner = CommandRunner(registry, sync, owner="me", **kwargs)  # type: ignore[arg-type]
    return runner, registry, sync


# -- forward ----------------------------------------------------------------


async def test_forward_one_workflow():
    client = FakeClient("~me/a")
    runner, _, _ = make_runner([entry("~me/a", True)], {"~me/a": client})
    result, errors = await runner.forward(
        "hold", {"workflows": ["~me/a"], "tasks": ["1/foo"]}, arg_types=HOLD_TYPES, user="bob"
    )
    assert result == [{"hold": {"result": [{"id": "~me/a", "response": [True, "uuid-1"]}]}}]
    assert errors == []
    document, variables, auth_user, timeout = client.calls[0]
    assert document.startswith("mutation ($workflows: [WorkflowID]!, $tasks: [NamespaceIDGlob]!)")
    assert variables == {"workflows": ["~me/a"], "tasks": ["1/foo"]}
    assert auth_user == "bob" and timeout == 5.0
    [audit] = runner.audit.entries()
    assert (audit.user, audit.mutation) == ("bob", "hold")
    assert audit.outcomes == [Outcome("~me/a", ACCEPTED, "uuid-1")]


async def test_forward_glob_sends_each_workflow_its_own_id():
    clients = {w: FakeClient(w) for w in ("~me/a", "~me/b")}
    runner, _, _ = make_runner([entry(w, True) for w in clients], clients)
    result, errors = await runner.forward(
        "pause", {"workflows": ["*"]}, arg_types={"workflows": "[WorkflowID]!"}, user="me"
    )
    assert [r["pause"]["result"][0]["id"] for r in result] == ["~me/a", "~me/b"]
    assert errors == []
    assert [c.calls[0][1]["workflows"] for c in clients.values()] == [["~me/a"], ["~me/b"]]


async def test_nothing_matched():
    runner, _, _ = make_runner([entry("~me/a", True)], {})
    result, errors = await runner.forward(
        "hold", {"workflows": ["~me/zzz"], "tasks": ["1/x"]}, arg_types=HOLD_TYPES, user="me"
    )
    assert result == [{"response": [False, "No matching workflows"]}]
    assert errors == []
    assert runner.audit.entries()[0].outcomes == [Outcome(None, FAILED, "No matching workflows")]


async def test_stopped_workflow_is_an_error_not_a_result():
    clients = {"~me/a": FakeClient("~me/a")}
    runner, _, _ = make_runner([entry("~me/a", True), entry("~me/b", False)], clients)
    result, errors = await runner.forward(
        "hold", {"workflows": ["~me/a", "~me/b"], "tasks": ["1/x"]},
        arg_types=HOLD_TYPES, user="me",
    )
    assert len(result) == 1 and result[0]["hold"]["result"][0]["id"] == "~me/a"
    assert errors == ["~me/b is not running"]
    outcomes = runner.audit.entries()[0].outcomes
    assert [(o.workflow, o.outcome) for o in outcomes] == [("~me/a", ACCEPTED), ("~me/b", FAILED)]


async def test_scheduler_rejection_and_graphql_error_are_false_responses():
    rejecting = FakeClient("~me/a", {"hold": {"result": [
        {"id": "~me/a", "response": [False, "Invalid Cylc identifier: //bogus//x"]}]}})
    erroring = FakeClient("~me/b", SchedulerRequestError("Unknown argument 'x'"))
    runner, _, _ = make_runner(
        [entry("~me/a", True), entry("~me/b", True)], {"~me/a": rejecting, "~me/b": erroring}
    )
    result, errors = await runner.forward(
        "hold", {"workflows": ["*"], "tasks": ["//bogus//x"]}, arg_types=HOLD_TYPES, user="me"
    )
    assert errors == []
    assert result[0]["hold"]["result"][0]["response"] == [
        False, "Invalid Cylc identifier: //bogus//x"]
    assert result[1] == {
        "hold": {"result": [{"id": "~me/b", "response": [False, "Unknown argument 'x'"]}]}}
    outcomes = runner.audit.entries()[0].outcomes
    assert [o.outcome for o in outcomes] == [REJECTED, REJECTED]
    assert outcomes[1].message == "Unknown argument 'x'"


async def test_timeout_is_per_workflow_and_concurrent():
    clients = {"~me/hung": FakeClient("~me/hung", "hang"), "~me/ok": FakeClient("~me/ok")}
    runner, _, _ = make_runner(
        [entry(w, True) for w in clients], clients, request_timeout=0.5
    )
    t0 = time.monotonic()
    result, errors = await runner.forward(
        "pause", {"workflows": ["~me/hung", "~me/ok"]},
        arg_types={"workflows": "[WorkflowID]!"}, user="me",
    )
    elapsed = time.monotonic() - t0
    assert 0.45 < elapsed < 2.0
    assert [r["pause"]["result"][0]["id"] for r in result] == ["~me/ok"]
    assert errors == ["~me/hung: timed out after 0.5 s"]
    assert runner.audit.entries()[0].outcomes[0] == Outcome(
        "~me/hung", TIMED_OUT, "~me/hung: timed out after 0.5 s")


async def test_client_errors_become_messages():
    clients = {
        "~me/keys": KeyLoadError("cannot read client key"),
        "~me/gone": None,
        "~me/slow": FakeClient("~me/slow", RequestTimeout("no reply")),
        "~me/weird": FakeClient("~me/weird", ["not", "a", "dict"]),
    }
    runner, _, _ = make_runner([entry(w, True) for w in clients], clients)
    result, errors = await runner.forward(
        "pause", {"workflows": ["*"]}, arg_types={"workflows": "[WorkflowID]!"}, user="me"
    )
    assert result == []
    assert sorted(errors) == sorted([
        "~me/keys: cannot read client key",
        "~me/gone is not running",
        "~me/slow: timed out after 5 s",
        "~me/weird: unexpected reply ['not', 'a', 'dict']",
    ])


async def test_status_selector_uses_the_store():
    clients = {w: FakeClient(w) for w in ("~me/a", "~me/b")}
    runner, _, sync = make_runner([entry(w, True) for w in clients], clients)
    sync.store.ensure("~me/a").workflow.status = "paused"
    result, _ = await runner.forward(
        "resume", {"workflows": ["*:paused"]}, arg_types={"workflows": "[WorkflowID]!"}, user="me"
    )
    assert [r["resume"]["result"][0]["id"] for r in result] == ["~me/a"]


async def test_bad_document_is_a_caller_error():
    runner, _, _ = make_runner([entry("~me/a", True)], {})
    with pytest.raises(ValueError):
        await runner.forward("hold", {"workflows": ["a"], "tasks": ["x"]},
                             arg_types={"workflows": "[WorkflowID]!"}, user="me")


def test_classify_reply():
    ok = {"hold": {"result": [{"id": "w", "response": [True, "uuid"]}]}}
    assert classify_reply("hold", ok) == (ACCEPTED, "uuid")
    no = {"hold": {"result": [{"response": [False, "No matching workflow in ['w']"]}]}}
    assert classify_reply("hold", no) == (REJECTED, "No matching workflow in ['w']")
    bc = {"broadcast": {"result": [{"id": "w", "response": [[["*", "root", {}]], {}]}]}}
    assert classify_reply("broadcast", bc) == (ACCEPTED, "")
    err = {"broadcast": {"result": [{"id": "w", "response": {"error": {"message": "bad"}}}]}}
    assert classify_reply("broadcast", err) == (REJECTED, "bad")


def test_combine_results():
    good = Outcome("~me/a", ACCEPTED, "")
    bad = Outcome("~me/b", FAILED, "boom")
    worse = Outcome("~me/c", TIMED_OUT, "slow")
    assert combine_results([good], "Done", single=True) == [True, "Done"]
    assert combine_results([bad], "Done", single=True) == [False, "boom"]
    assert combine_results([good, bad, worse], "Done", single=False) == [
        False, "\n\n~me/b: boom\n\n~me/c: slow"]


# -- play / clean / scan with fake executables --------------------------------

FAKE_CYLC = """#!/bin/sh
# Record the command line and the interesting environment, then act as told.
{{ for arg in "$@"; do printf '%s\\n' "$arg"; done
   printf 'CYLC_VERSION=%s\\n' "${{CYLC_VERSION-unset}}"
   printf 'CYLC_ENV_NAME=%s\\n' "${{CYLC_ENV_NAME-unset}}"
}} > "{log}/$(echo "$@" | md5sum | cut -c1-8)"
case "$*" in
  *fails*) echo "WorkflowFilesError: $* is broken" >&2; exit 1 ;;
  *silent*) exit 3 ;;
  *slow*) sleep 60 & echo $! > "{log}/sleeper.pid"; wait ;;
esac
echo "started $*"
"""


@pytest.fixture
def fake_cylc(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "calls"
    log.mkdir()
    exe = tmp_path / "cylc"
    exe.write_text(FAKE_CYLC.format(log=log))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe, log


def calls(log: Path) -> list[list[str]]:
    return sorted(p.read_text().splitlines() for p in log.iterdir() if p.name != "sleeper.pid")


async def test_play_runs_cylc_with_options_and_env(fake_cylc):
    exe, log = fake_cylc
    runner, registry, _ = make_runner([], {}, cylc_executable=str(exe),
                                      env={"PATH": os.environ["PATH"], "CYLC_ENV_NAME": "x"})
    args = {"workflows": ["~me/a", "b/run1"], "mode": "Simulation", "pause": True,
            "cylcVersion": "8.5.4", "set": ["X=1"], "upgrade": False}
    assert await runner.play(args, user="me") == [True, "Workflow(s) started"]
    assert calls(log) == [
        ["play", "--color=never", "--mode=simulation", "--pause", "--set=X=1", "a",
         "CYLC_VERSION=8.5.4", "CYLC_ENV_NAME=unset"],
        ["play", "--color=never", "--mode=simulation", "--pause", "--set=X=1", "b/run1",
         "CYLC_VERSION=8.5.4", "CYLC_ENV_NAME=unset"],
    ]
    assert registry.scans == 1
    [audit] = runner.audit.entries()
    assert [(o.workflow, o.outcome) for o in audit.outcomes] == [
        ("~me/a", ACCEPTED), ("~me/b/run1", ACCEPTED)]


async def test_play_failures(fake_cylc):
    exe, log = fake_cylc
    runner, _, _ = make_runner([], {}, cylc_executable=str(exe))
    assert await runner.play({"workflows": ["fails"]}, user="me") == [
        False, "WorkflowFilesError: play --color=never fails is broken"]
    assert await runner.play({"workflows": ["silent"]}, user="me") == [
        False, f"Command failed (3): {exe} play --color=never silent"]
    result = await runner.play({"workflows": ["ok", "fails", "silent"]}, user="me")
    assert result == [False, (
        "\n\n~me/fails: WorkflowFilesError: play --color=never fails is broken"
        f"\n\n~me/silent: Command failed (3): {exe} play --color=never silent")]
    outcomes = runner.audit.entries()[0].outcomes
    assert [o.outcome for o in outcomes] == [ACCEPTED, FAILED, FAILED]


async def test_play_refuses_other_users(fake_cylc):
    exe, log = fake_cylc
    runner, registry, _ = make_runner([], {}, cylc_executable=str(exe))
    result = await runner.play({"workflows": ["~me/a", "~eve/b"]}, user="me")
    assert result == [False, "Cannot start workflows for other users."]
    assert calls(log) == [] and registry.scans == 0
    assert runner.audit.entries()[0].outcomes[0].outcome == REJECTED


async def test_play_refuses_option_like_ids(fake_cylc):
    exe, log = fake_cylc
    runner, _, _ = make_runner([], {}, cylc_executable=str(exe))
    result = await runner.play({"workflows": ["--set-file=/etc/passwd"]}, user="me")
    assert result[0] is False and "invalid workflow ID" in result[1]
    assert calls(log) == []


async def test_play_glob_expands_against_known_workflows(fake_cylc):
    exe, log = fake_cylc
    runner, _, _ = make_runner(
        [entry("~me/x/run1", False), entry("~me/x/run2", False), entry("~me/y", False)], {},
        cylc_executable=str(exe),
    )
    assert await runner.play({"workflows": ["x/*"]}, user="me") == [True, "Workflow(s) started"]
    assert [c[2] for c in calls(log)] == ["x/run1", "x/run2"]


async def test_missing_executable(tmp_path):
    runner, _, _ = make_runner([], {}, cylc_executable=str(tmp_path / "no-such-cylc"))
    ok, message = await runner.play({"workflows": ["a"]}, user="me")
    assert ok is False
    assert message.startswith("cylc is not installed (cannot run cylc play")
    ok, message = await runner.clean({"workflows": ["a"]}, user="me")
    assert ok is False and message.startswith("cylc is not installed (cannot run cylc clean")


def gone(pid: int, within: float = 5.0) -> bool:
    """Whether ``pid`` has exited (or is a zombie) within ``within`` seconds.

    SIGKILL to a process group is delivered asynchronously: a grandchild that
    the runner does not wait for may still be on its way out when the
    runner's own child has been reaped.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


async def test_play_timeout_kills_the_process_group(fake_cylc):
    exe, log = fake_cylc
    runner, _, _ = make_runner([], {}, cylc_executable=str(exe), play_timeout=1.0)
    t0 = time.monotonic()
    ok, message = await runner.play({"workflows": ["slow"]}, user="me")
    assert time.monotonic() - t0 < 5
    assert ok is False and message.startswith("Command timed out after 1 s:")
    assert runner.audit.entries()[0].outcomes[0].outcome == TIMED_OUT
    # The grandchild (in the same process group) was killed too.
    assert gone(int((log / "sleeper.pid").read_text()))


async def test_close_kills_running_commands(fake_cylc):
    exe, log = fake_cylc
    runner, _, _ = make_runner([], {}, cylc_executable=str(exe), play_timeout=60)
    task = asyncio.create_task(runner.play({"workflows": ["slow"]}, user="me"))
    pid_file = log / "sleeper.pid"
    async with asyncio.timeout(10):
        while not pid_file.exists() or not pid_file.read_text().strip():
            await asyncio.sleep(0.05)
    t0 = time.monotonic()
    await runner.close()
    ok, message = await asyncio.wait_for(task, 5)
    assert time.monotonic() - t0 < 5
    assert ok is False and "Command failed (-9)" in message
    assert gone(int(pid_file.read_text()))
    ok, message = await runner.play({"workflows": ["a"]}, user="me")
    assert ok is False and "closed" in message


async def test_clean_runs_one_at_a_time_and_refuses_running(fake_cylc, tmp_path):
    exe, log = fake_cylc
    runner, registry, _ = make_runner(
        [entry("~me/live", True), entry("~me/old", False)], {}, cylc_executable=str(exe),
        clean_timeout=100,
    )
    args = {"workflows": ["~me/live", "~me/old"], "rm": "log", "localOnly": True,
            "remoteOnly": False}
    result = await runner.clean(args, user="me")
    assert result == [False, "\n\n~me/live: Cannot clean running workflow ~me/live: stop it first"]
    assert calls(log) == [["clean", "--yes", "--timeout=PT100S", "--rm=log", "--local-only",
                           "old", "CYLC_VERSION=unset", "CYLC_ENV_NAME=unset"]]
    assert registry.scans == 1
    outcomes = runner.audit.entries()[0].outcomes
    assert [(o.workflow, o.outcome) for o in outcomes] == [
        ("~me/live", REJECTED), ("~me/old", ACCEPTED)]
    assert await runner.clean({"workflows": ["~me/old"]}, user="me") == [
        True, "Workflow(s) cleaned"]
    assert await runner.clean({"workflows": ["~eve/old"]}, user="me") == [
        False, "Cannot clean workflows for other users."]


async def test_concurrent_cleans_are_serialised(tmp_path):
    # Each fake clean records when it starts and ends; intervals must not overlap.
    exe = tmp_path / "cylc"
    exe.write_text(f'#!/bin/sh\nfor last; do :; done\ndate +%s.%N >> "{tmp_path}/$last.t"\n'
                   f'sleep 0.3\ndate +%s.%N >> "{tmp_path}/$last.t"\n')
    exe.chmod(0o755)
    runner, _, _ = make_runner([], {}, cylc_executable=str(exe))
    results = await asyncio.gather(
        runner.clean({"workflows": ["a"]}, user="me"),
        runner.clean({"workflows": ["b"]}, user="me"),
    )
    assert results == [[True, "Workflow(s) cleaned"]] * 2
    a = [float(x) for x in (tmp_path / "a.t").read_text().split()]
    b = [float(x) for x in (tmp_path / "b.t").read_text().split()]
    assert a[1] <= b[0] or b[1] <= a[0]


async def test_scan():
    runner, registry, _ = make_runner([], {})
    assert await runner.scan(user="me") == [True, "Scan requested"]
    assert registry.scans == 1
    entry_ = runner.audit.entries()[0]
    assert (entry_.mutation, entry_.outcomes[0].outcome) == ("scan", ACCEPTED)
