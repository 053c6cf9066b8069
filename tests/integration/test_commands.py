"""CommandRunner against real cylc-flow 8.5.4 schedulers (simulation mode).

The registry, store and sync manager run in-process on the harness's run
dir; ``play`` and ``clean`` run the real ``cylc`` with the harness
environment, so anything they start is killed by the harness at teardown.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import time
from pathlib import Path

import pytest

from tests.cylc_harness import SMALL
from uiserver.commands import ACCEPTED, FAILED, REJECTED, TIMED_OUT, CommandRunner
from uiserver.store import Store
from uiserver.sync import SyncManager
from uiserver.workflows import WorkflowRegistry

pytestmark = pytest.mark.integration

OWNER = "root" if os.geteuid() == 0 else getpass.getuser()
HOLD_TYPES = {"workflows": "[WorkflowID]!", "tasks": "[NamespaceIDGlob]!"}
PAUSE_TYPES = {"workflows": "[WorkflowID]!"}
#: The play arguments with the schema defaults applied, as the resolver passes them.
PLAY_ARGS = {
    "cylcVersion": None, "initialCyclePoint": None, "startCyclePoint": None,
    "finalCyclePoint": None, "stopCyclePoint": None, "pause": None, "holdCyclePoint": None,
    "mode": "Live", "host": None, "mainLoop": None, "upgrade": False,
    "abortIfAnyTaskFails": False, "debug": False, "noTimestamp": False, "set": None,
    "setFile": None,
}
CLEAN_ARGS = {"rm": "", "localOnly": False, "remoteOnly": False}


class Server:
    """Registry -> sync -> store, plus the command runner under test."""

    def __init__(self, harness, **runner_options) -> None:
        self.registry = WorkflowRegistry(harness.cylc_run, OWNER, scan_interval=0)
        self.store = Store()
        self.sync = SyncManager(self.registry, self.store, linger=0.0, request_timeout=2.0)
        options = {"cylc_executable": str(harness.cylc), "env": harness.env()}
        options.update(runner_options)
        self.runner = CommandRunner(self.registry, self.sync, owner=OWNER, **options)

    async def __aenter__(self) -> Server:
        await self.sync.start()
        await self.registry.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.close()
        await self.registry.stop()
        await self.sync.stop()


async def start(harness, name: str, *, pause: bool = True) -> str:
    harness.write_workflow(name, SMALL)
    await asyncio.to_thread(harness.play, name, pause=pause)
    return f"~{OWNER}/{name}"


async def held_tasks(server: Server, workflow_id: str) -> set[str]:
    """The held task proxies, from a fresh ``pb_entire_workflow``."""
    client = await server.sync.client(workflow_id)
    entire = await client.entire_workflow(timeout=5)
    return {t.id for t in entire.task_proxies if t.is_held}


async def eventually(check, timeout: float, what: str):
    """Await ``check()`` until truthy (the scheduler applies commands in its main loop)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


async def test_hold_reaches_the_scheduler(harness):
    wid = await start(harness, "holdme")
    async with Server(harness) as server:
        result, errors = await server.runner.forward(
            "hold", {"workflows": [wid], "tasks": ["1/foo"]}, arg_types=HOLD_TYPES, user="bob"
        )
        assert errors == []
        [reply] = result
        [item] = reply["hold"]["result"]
        assert item["id"] == wid
        ok, command_id = item["response"]
        assert ok is True and len(command_id) == 36  # the command's uuid
        assert await eventually(
            lambda: _contains(held_tasks(server, wid), f"{wid}//1/foo"), 15, "1/foo held"
        )
        # auth_user reached the scheduler, which logs who sent the command.
        await asyncio.to_thread(
            harness.wait_for_log, "holdme", r'Command "hold" received from bob\.', 15
        )
        [entry] = server.runner.audit.entries()
        assert (entry.user, entry.mutation) == ("bob", "hold")
        assert [(o.workflow, o.outcome, o.message) for o in entry.outcomes] == [
            (wid, ACCEPTED, command_id)]


async def _contains(awaitable, item) -> bool:
    return item in await awaitable


async def test_one_running_one_stopped(harness):
    running = await start(harness, "up")
    harness.write_workflow("down", SMALL)
    stopped = f"~{OWNER}/down"
    async with Server(harness) as server:
        assert server.registry.get(stopped) is not None
        result, errors = await server.runner.forward(
            "pause", {"workflows": [running, stopped]}, arg_types=PAUSE_TYPES, user=OWNER
        )
        assert [r["pause"]["result"][0]["id"] for r in result] == [running]
        assert result[0]["pause"]["result"][0]["response"][0] is True
        assert errors == [f"{stopped} is not running"]
        outcomes = server.runner.audit.entries()[0].outcomes
        assert [(o.workflow, o.outcome) for o in outcomes] == [
            (stopped, FAILED), (running, ACCEPTED)]


async def test_bad_task_id_is_rejected(harness):
    wid = await start(harness, "strict")
    async with Server(harness) as server:
        trigger_types = dict(HOLD_TYPES, flow="[Flow!]", flowWait="Boolean",
                             flowDescr="String", onResume="Boolean")
        args = {"workflows": [wid], "tasks": ["//bogus//x"], "flow": [], "flowWait": False,
                "flowDescr": None, "onResume": False}
        result, errors = await server.runner.forward(
            "trigger", args, arg_types=trigger_types, user=OWNER
        )
        assert errors == []
        [item] = result[0]["trigger"]["result"]
        ok, message = item["response"]
        assert ok is False and "Invalid Cylc identifier" in message
        # A GraphQL error on the scheduler's side is a [false, msg] response too.
        result, errors = await server.runner.forward(
            "hold", {"workflows": [wid], "tasks": 7},
            arg_types={"workflows": "[WorkflowID]!", "tasks": "Int"}, user=OWNER,
        )
        assert errors == []
        ok, message = result[0]["hold"]["result"][0]["response"]
        assert ok is False and "$tasks" in message
        kinds = [e.outcomes[0].outcome for e in server.runner.audit.entries()]
        assert kinds == [REJECTED, REJECTED]
        assert await held_tasks(server, wid) == set()


async def test_hung_scheduler_times_out_alone(harness):
    hung = await start(harness, "hung")
    lively = await start(harness, "lively")
    async with Server(harness, request_timeout=2.0) as server:
        # Warm up both clients (load keys, connect) before suspending one.
        _, errors = await server.runner.forward(
            "pause", {"workflows": [hung, lively]}, arg_types=PAUSE_TYPES, user=OWNER
        )
        assert errors == []
        await asyncio.to_thread(harness.sigstop, "hung")
        try:
            t0 = time.monotonic()
            both = asyncio.create_task(server.runner.forward(
                "hold", {"workflows": [hung, lively], "tasks": ["1/foo"]},
                arg_types=HOLD_TYPES, user=OWNER,
            ))
            # While the hung one is still pending, the other answers promptly.
            alone, alone_errors = await server.runner.forward(
                "hold", {"workflows": [lively], "tasks": ["1/bar"]},
                arg_types=HOLD_TYPES, user=OWNER,
            )
            assert time.monotonic() - t0 < 1.5
            assert not both.done()
            assert alone_errors == [] and alone[0]["hold"]["result"][0]["response"][0] is True
            result, errors = await both
            elapsed = time.monotonic() - t0
            assert 1.9 < elapsed < 4.0
            assert [r["hold"]["result"][0]["id"] for r in result] == [lively]
            assert errors == [f"{hung}: timed out after 2 s"]
            latest = server.runner.audit.entries()[0]  # newest first: "both" ended last
            outcomes = {o.workflow: o.outcome for o in latest.outcomes}
            assert outcomes == {hung: TIMED_OUT, lively: ACCEPTED}
        finally:
            await asyncio.to_thread(harness.sigcont, "hung")
        # After a timeout the client recovers once the scheduler does.
        result, errors = await server.runner.forward(
            "resume", {"workflows": [hung]}, arg_types=PAUSE_TYPES, user=OWNER
        )
        assert errors == [] and result[0]["resume"]["result"][0]["response"][0] is True


async def test_play_a_stopped_workflow(harness):
    harness.write_workflow("fresh", SMALL)
    wid = f"~{OWNER}/fresh"
    async with Server(harness) as server:
        assert server.registry.get(wid).status_msg == "not yet run"
        args = dict(PLAY_ARGS, workflows=[wid], mode="Simulation", pause=True)
        assert await server.runner.play(args, user=OWNER) == [True, "Workflow(s) started"]
        await server.registry.scan()
        entry = server.registry.get(wid)
        assert entry.running, entry
        assert "--mode=simulation" in entry.contact.command
        assert "--pause" in entry.contact.command
        # It answers commands, so it really is up (and paused, as asked).
        result, errors = await server.runner.forward(
            "hold", {"workflows": [wid], "tasks": ["1/foo"]}, arg_types=HOLD_TYPES, user=OWNER
        )
        assert errors == [] and result[0]["hold"]["result"][0]["response"][0] is True
        [play_entry] = server.runner.audit.entries()[1:]
        assert play_entry.mutation == "play"
        assert [(o.workflow, o.outcome) for o in play_entry.outcomes] == [(wid, ACCEPTED)]
        # Playing it again resumes it rather than failing.
        assert await server.runner.play(dict(PLAY_ARGS, workflows=[wid]), user=OWNER) == [
            True, "Workflow(s) started"]
        await asyncio.to_thread(harness.stop, "fresh")


async def test_play_errors(harness, tmp_path):
    harness.write_workflow("broken", "[scheduling]\n    [[graph]]\n        R1 = foo => \n")
    async with Server(harness, cylc_executable=str(tmp_path / "nowhere" / "cylc")) as server:
        ok, message = await server.runner.play(dict(PLAY_ARGS, workflows=["broken"]), user=OWNER)
        assert ok is False
        assert message.startswith("cylc is not installed (cannot run cylc play")
        assert server.runner.audit.entries()[0].outcomes[0].outcome == FAILED
    async with Server(harness) as server:
        # The real cylc fails on an invalid workflow; its error comes back.
        ok, message = await server.runner.play(
            dict(PLAY_ARGS, workflows=["broken"], mode="Simulation"), user=OWNER
        )
        assert ok is False and "GraphParseError: Dangling =>" in message, message
        assert await server.runner.play(dict(PLAY_ARGS, workflows=["~nobody/x"]), user=OWNER) == [
            False, "Cannot start workflows for other users."]


async def test_clean_a_stopped_workflow(harness):
    wid = await start(harness, "doomed")
    run_dir: Path = harness.run_dir("doomed")
    async with Server(harness) as server:
        # Running: refused, and nothing is deleted.
        ok, message = await server.runner.clean(dict(CLEAN_ARGS, workflows=[wid]), user=OWNER)
        assert ok is False and "running" in message
        assert run_dir.exists()
        await asyncio.to_thread(harness.stop, "doomed")
        await server.registry.scan()
        assert server.registry.get(wid).status_msg == "stopped"
        assert await server.runner.clean(dict(CLEAN_ARGS, workflows=[wid]), user=OWNER) == [
            True, "Workflow(s) cleaned"]
        assert not run_dir.exists()
        await server.registry.scan()
        assert server.registry.get(wid) is None
        kinds = [e.outcomes[0].outcome for e in server.runner.audit.entries()]
        assert kinds == [ACCEPTED, REJECTED]


async def test_clean_refused_by_cylc_when_our_view_is_stale(harness):
    harness.write_workflow("racy", SMALL)
    wid = f"~{OWNER}/racy"
    async with Server(harness) as server:
        assert not server.registry.get(wid).running
        # Started after our last scan: only cylc clean itself can notice.
        await asyncio.to_thread(harness.play, "racy", pause=True)
        ok, message = await server.runner.clean(dict(CLEAN_ARGS, workflows=[wid]), user=OWNER)
        assert ok is False and "running" in message.lower()
        assert harness.is_running("racy")
        assert harness.run_dir("racy").exists()
        assert server.runner.audit.entries()[0].outcomes[0].outcome == FAILED


async def test_scan_finds_a_new_workflow(harness):
    async with Server(harness) as server:
        assert server.registry.entries == {}
        harness.write_workflow("late", SMALL)
        before = server.registry.scan_count
        assert await server.runner.scan(user=OWNER) == [True, "Scan requested"]
        await server.registry.scan()
        assert server.registry.scan_count > before
        assert server.registry.get(f"~{OWNER}/late") is not None
        assert server.runner.audit.entries()[0].mutation == "scan"
