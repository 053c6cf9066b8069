"""Tests for the workflow registry: events, scheduling of scans, robustness."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from uiserver.workflows import registry as registry_mod
from uiserver.workflows.registry import WorkflowEvent, WorkflowRegistry

from ._util import make_workflow, write_contact

pytestmark = pytest.mark.timeout(60)

OWNER = "me"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return tmp_path / "cylc-run"


@pytest.fixture
async def registry(run_dir: Path):
    reg = WorkflowRegistry(run_dir, OWNER, scan_interval=0)
    yield reg
    await reg.stop()


class Recorder:
    """A listener that records events and lets tests wait for the next one."""

    def __init__(self) -> None:
        self.events: list[WorkflowEvent] = []
        self.arrived = asyncio.Event()

    def __call__(self, event: WorkflowEvent) -> None:
        self.events.append(event)
        self.arrived.set()

    def take(self) -> list[tuple[str, str]]:
        out = [(e.kind, e.entry.name) for e in self.events]
        self.events.clear()
        self.arrived.clear()
        return out

    async def wait(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self.arrived.wait(), timeout)


@pytest.fixture
def events(registry: WorkflowRegistry) -> Recorder:
    rec = Recorder()
    registry.listen(rec)
    return rec


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=10)
    return proc.pid


async def test_missing_run_dir_then_appears(registry, events, run_dir) -> None:
    await registry.start()
    assert registry.entries == {} and registry.scan_count == 1
    make_workflow(run_dir, "demo/run1")
    await registry.scan()
    assert events.take() == [("added", "demo/run1")]


async def test_added_with_states(registry, events, run_dir) -> None:
    make_workflow(run_dir, "never")
    make_workflow(run_dir, "stopped", db=True)
    make_workflow(run_dir, "running", db=True, contact={})
    await registry.scan()
    assert events.take() == [("added", "never"), ("added", "running"), ("added", "stopped")]
    never, running, stopped = (
        registry.get(f"~{OWNER}/{n}") for n in ("never", "running", "stopped")
    )
    assert (never.running, never.status_msg, never.contact, never.problem) == (
        False, "not yet run", None, None)
    assert (stopped.running, stopped.status_msg) == (False, "stopped")
    assert running.running and running.status_msg == "running"
    assert running.contact is not None and running.contact.port == 43001
    assert running.id == f"~{OWNER}/running" and running.path == run_dir / "running"
    assert set(registry.entries) == {f"~{OWNER}/{n}" for n in ("never", "running", "stopped")}
    assert registry.get("~me/nope") is None


async def test_lifecycle_events(registry, events, run_dir) -> None:
    path = make_workflow(run_dir, "demo/run1")
    await registry.scan()
    assert events.take() == [("added", "demo/run1")]
    wid = "~me/demo/run1"

    await registry.scan()  # nothing changed: no events
    assert events.take() == []

    write_contact(path, CYLC_WORKFLOW_ID="demo/run1")
    await registry.scan()
    (event,) = events.events
    assert (event.kind, event.previous.running, event.entry.running) == ("started", False, True)
    events.take()

    write_contact(path, CYLC_WORKFLOW_ID="demo/run1", CYLC_WORKFLOW_PORT="43050")
    await registry.scan()
    assert events.take() == [("restarted", "demo/run1")]
    assert registry.get(wid).contact.port == 43050

    write_contact(path, CYLC_WORKFLOW_ID="demo/run1", CYLC_WORKFLOW_UUID="another-uuid")
    await registry.scan()
    assert events.take() == [("new_run", "demo/run1")]

    (path / ".service" / "contact").unlink()
    (path / ".service" / "db").write_bytes(b"")
    await registry.scan()
    (event,) = events.events
    assert event.kind == "stopped" and event.entry.status_msg == "stopped"
    events.take()

    (path / ".service" / "db").unlink()  # re-installed
    await registry.scan()
    assert events.take() == [("new_run", "demo/run1")]
    assert registry.get(wid).status_msg == "not yet run"

    (path / ".service" / "db").write_bytes(b"")
    await registry.scan()
    assert events.take() == [("changed", "demo/run1")]

    last = registry.get(wid)
    shutil.rmtree(path)
    await registry.scan()
    (event,) = events.events
    assert event.kind == "removed" and event.entry == last and event.previous == last
    assert registry.get(wid) is None


async def test_invalid_and_stale_contacts_are_not_running(
    registry, events, run_dir, caplog
) -> None:
    caplog.set_level(logging.WARNING)
    bad = make_workflow(run_dir, "bad", db=True, contact={"CYLC_API": "4"})
    stale = make_workflow(
        run_dir, "stale", db=True, contact={"CYLC_WORKFLOW_PID": str(dead_pid())}
    )
    for _ in range(3):
        await registry.scan()
    assert events.take() == [("added", "bad"), ("added", "stale")]
    bad_entry, stale_entry = registry.get("~me/bad"), registry.get("~me/stale")
    assert not bad_entry.running and bad_entry.contact is None
    assert bad_entry.status_msg == "stopped" and "CYLC_API='4'" in bad_entry.problem
    assert not stale_entry.running and stale_entry.contact is None
    assert stale_entry.problem.startswith("stale contact file: scheduler process")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings  # once each, not once per scan
    assert any("~me/bad" in w for w in warnings) and any("~me/stale" in w for w in warnings)

    # A different problem is logged again, and reported as a change.
    write_contact(bad, CYLC_WORKFLOW_ID="bad", CYLC_API="6")
    await registry.scan()
    assert events.take() == [("changed", "bad")]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3

    # The scheduler comes back properly: started, problem gone.
    write_contact(stale, CYLC_WORKFLOW_ID="stale")
    await registry.scan()
    (event,) = events.events
    assert event.kind == "started" and event.entry.problem is None


async def test_concurrent_scans_share_and_never_overlap(registry, run_dir, monkeypatch) -> None:
    make_workflow(run_dir, "wf")
    active = 0
    most = 0
    lock = threading.Lock()
    real_scan = registry_mod.scan_run_dir

    def slow_scan(*args, **kwargs):
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(registry_mod, "scan_run_dir", slow_scan)
    before = registry.scan_count
    await asyncio.wait_for(asyncio.gather(*(registry.scan() for _ in range(5))), 10)
    assert 1 <= registry.scan_count - before <= 2
    assert most == 1


async def test_scan_waits_for_a_scan_started_after_the_request(
    registry, run_dir, monkeypatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    real_scan = registry_mod.scan_run_dir

    def gated_scan(*args, **kwargs):
        entered.set()
        release.wait(10)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(registry_mod, "scan_run_dir", gated_scan)
    run_dir.mkdir()
    first = asyncio.create_task(registry.scan())
    assert await asyncio.wait_for(asyncio.to_thread(entered.wait, 10), 10)
    make_workflow(run_dir, "late")  # created after the first scan listed the run dir
    second = asyncio.create_task(registry.scan())
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(first, 10)
    await asyncio.wait_for(second, 10)
    assert registry.scan_count == 2
    assert registry.get("~me/late") is not None


async def test_cancelled_caller_does_not_cancel_shared_scan(registry, run_dir) -> None:
    make_workflow(run_dir, "wf")
    impatient = asyncio.create_task(registry.scan())
    patient = asyncio.create_task(registry.scan())
    await asyncio.sleep(0)
    impatient.cancel()
    await asyncio.wait_for(patient, 10)
    assert registry.get("~me/wf") is not None


async def test_failing_listener_does_not_stop_others(registry, run_dir, caplog) -> None:
    def broken(event: WorkflowEvent) -> None:
        raise RuntimeError("listener bug")

    rec = Recorder()
    registry.listen(broken)
    registry.listen(rec)
    make_workflow(run_dir, "a")
    make_workflow(run_dir, "b")
    await registry.scan()
    assert rec.take() == [("added", "a"), ("added", "b")]
    assert "listener bug" in caplog.text
    make_workflow(run_dir, "c")
    await registry.scan()
    assert rec.take() == [("added", "c")]
    assert registry.scan_count == 2


async def test_unsubscribe(registry, run_dir) -> None:
    rec = Recorder()
    unsubscribe = registry.listen(rec)
    unsubscribe()
    unsubscribe()  # harmless twice
    make_workflow(run_dir, "a")
    await registry.scan()
    assert rec.events == []


async def test_request_scan(registry, events, run_dir) -> None:
    make_workflow(run_dir, "a")
    registry.request_scan()
    await events.wait()
    assert events.take() == [("added", "a")]


async def test_periodic_scanning(run_dir) -> None:
    reg = WorkflowRegistry(run_dir, OWNER, scan_interval=0.05)
    rec = Recorder()
    reg.listen(rec)
    try:
        await reg.start()
        assert reg.scan_count == 1
        make_workflow(run_dir, "a")
        await rec.wait()
        assert rec.take() == [("added", "a")]
    finally:
        await reg.stop()
    count = reg.scan_count
    await asyncio.sleep(0.2)
    assert reg.scan_count == count  # really stopped


async def test_no_periodic_scans_when_interval_is_zero(registry, run_dir) -> None:
    await registry.start()
    make_workflow(run_dir, "a")
    await asyncio.sleep(0.2)
    assert registry.scan_count == 1 and registry.entries == {}


async def test_stop_is_idempotent(run_dir) -> None:
    reg = WorkflowRegistry(run_dir, OWNER, scan_interval=0.01)
    await reg.stop()  # before start
    await reg.start()
    await asyncio.wait_for(reg.stop(), 10)
    await asyncio.wait_for(reg.stop(), 10)
    # Still usable on demand afterwards.
    make_workflow(run_dir, "a")
    await asyncio.wait_for(reg.scan(), 10)
    assert reg.get("~me/a") is not None
    await reg.stop()


async def test_stop_during_a_scan(registry, run_dir, monkeypatch) -> None:
    entered, release = threading.Event(), threading.Event()

    def gated_scan(*args, **kwargs):
        entered.set()
        release.wait(10)
        return []

    monkeypatch.setattr(registry_mod, "scan_run_dir", gated_scan)
    run_dir.mkdir()
    waiter = asyncio.create_task(registry.scan())
    assert await asyncio.wait_for(asyncio.to_thread(entered.wait, 10), 10)
    try:
        await asyncio.wait_for(registry.stop(), 5)
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiter, 5)
    finally:
        release.set()


async def test_unreadable_run_dir_keeps_entries(
    registry, events, run_dir, monkeypatch, caplog
) -> None:
    make_workflow(run_dir, "a")
    await registry.scan()
    events.take()
    real_listdir = os.listdir

    def listdir(p):
        if Path(p) == run_dir:
            raise PermissionError(13, "Permission denied")
        return real_listdir(p)

    monkeypatch.setattr(os, "listdir", listdir)
    caplog.set_level(logging.WARNING)
    await registry.scan()
    await registry.scan()
    assert registry.get("~me/a") is not None and events.take() == []
    assert len([r for r in caplog.records if "cannot scan" in r.getMessage()]) == 1
    monkeypatch.setattr(os, "listdir", real_listdir)
    shutil.rmtree(run_dir / "a")
    await registry.scan()
    assert events.take() == [("removed", "a")]


async def test_entries_snapshot_is_read_only(registry, run_dir) -> None:
    make_workflow(run_dir, "a")
    await registry.scan()
    snapshot = registry.entries
    with pytest.raises(TypeError):
        snapshot["x"] = None  # type: ignore[index]
    shutil.rmtree(run_dir / "a")
    await registry.scan()
    assert "~me/a" in snapshot and registry.entries == {}
