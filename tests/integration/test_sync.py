"""Demand-driven sync against real cylc-flow schedulers (simulation mode).

Each test runs the registry, store and sync manager in-process against
schedulers started by the harness in a temporary HOME.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.cylc_harness import BUSY, SMALL
from tests.extension import until
from uiserver.scheduler.messages import PbEntireWorkflow
from uiserver.store import Store
from uiserver.store.merge import RELATIONSHIP_FIELDS, dedupe_ids
from uiserver.sync import Level, LinkState, SyncManager
from uiserver.workflows import WorkflowRegistry

OWNER = "root" if os.geteuid() == 0 else __import__("getpass").getuser()
SOAK_SECONDS = float(os.environ.get("UIS_SOAK_SECONDS", "90"))
ELEMENT_TYPES = ("tasks", "task_proxies", "jobs", "families", "family_proxies", "edges")


class Server:
    """The server's data path, without HTTP: registry -> sync -> store."""

    def __init__(self, run_dir: Path, **sync_options) -> None:
        self.registry = WorkflowRegistry(run_dir, OWNER, scan_interval=0.5)
        self.store = Store()
        self.changes = []
        self.store.listen(self.changes.append)
        options = {"linger": 0.0, "health_interval": 2.0, "request_timeout": 2.0}
        options.update(sync_options)
        self.sync = SyncManager(self.registry, self.store, **options)

    async def __aenter__(self) -> Server:
        await self.sync.start()
        await self.registry.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.registry.stop()
        await self.sync.stop()

    def replica(self, workflow_id: str):
        return self.store.get(workflow_id)


def connections_to(ports: set[int]) -> list:
    return [
        c
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port in ports and c.status == psutil.CONN_ESTABLISHED
    ]


def normalised(entire: PbEntireWorkflow) -> PbEntireWorkflow:
    """A copy with de-duplicated relationship lists.

    The scheduler's own store collects duplicate ids in these append-only
    lists (e.g. after a reload, protocol §10.3); our replica drops them.
    """
    copy = PbEntireWorkflow()
    copy.CopyFrom(entire)
    for type_name, fields in RELATIONSHIP_FIELDS.items():
        elements = [copy.workflow] if type_name == "workflow" else getattr(copy, type_name)
        for element in elements:
            for path in fields:
                holder = element
                *parents, name = path.split(".")
                for parent in parents:
                    holder = getattr(holder, parent)
                dedupe_ids(getattr(holder, name))
    return copy


def by_type(entire: PbEntireWorkflow) -> dict[str, dict[str, bytes]]:
    return {
        t: {e.id: e.SerializeToString(deterministic=True) for e in getattr(entire, t)}
        for t in ELEMENT_TYPES
    }


def differences(ours: PbEntireWorkflow, theirs: PbEntireWorkflow) -> dict[str, list[str]]:
    a, b = by_type(ours), by_type(theirs)
    out = {}
    for t in ELEMENT_TYPES:
        diff = sorted(k for k in set(a[t]) | set(b[t]) if a[t].get(k) != b[t].get(k))
        if diff:
            out[t] = diff[:5]
    # The workflow itself: compare the fields the scheduler maintains.
    wa, wb = ours.workflow, theirs.workflow
    for field in ("status", "status_msg", "task_proxies", "family_proxies", "jobs", "tasks",
                  "families", "state_totals", "n_edge_distance", "last_updated"):
        if getattr(wa, field) != getattr(wb, field):
            out.setdefault("workflow", []).append(field)
    return out


async def assert_converges(server: Server, workflow_id: str, timeout: float = 30) -> None:
    """The replica equals a fresh pb_entire_workflow, element by element.

    The replica trails the scheduler by one publish cycle, so compare until
    they agree (bounded), and report the last difference otherwise.
    """
    client = await server.sync.client(workflow_id)
    deadline = time.monotonic() + timeout
    while True:
        fresh = normalised(await client.entire_workflow())
        diff = differences(server.replica(workflow_id).entire_workflow(), fresh)
        if not diff:
            return
        if time.monotonic() > deadline:
            ours = server.replica(workflow_id).entire_workflow()
            detail = []
            for t, ids in diff.items():
                if t == "workflow":
                    continue
                mine = {e.id: e for e in getattr(ours, t)}
                theirs = {e.id: e for e in getattr(fresh, t)}
                detail.append(f"{t} {ids[0]}:\nours={mine.get(ids[0])}\ntheirs={theirs.get(ids[0])}")
            raise AssertionError(
                f"replica of {workflow_id} never matched: {diff}\n" + "\n".join(detail[:3])
            )
        await asyncio.sleep(0.3)


@pytest.fixture
def run_dir(cylc_home: Path) -> Path:
    return cylc_home / "cylc-run"


async def play(harness, name: str, flow: str, **kwargs):
    harness.write_workflow(name, flow)
    return await asyncio.to_thread(harness.play, name, **kwargs)


async def test_no_demand_means_no_connection(harness, run_dir):
    contact = await play(harness, "quiet", SMALL, pause=True)
    ports = {contact.port, contact.pub_port}
    wid = f"~{OWNER}/quiet"
    async with Server(run_dir) as server:
        await server.registry.scan()
        assert server.registry.get(wid).running
        assert server.replica(wid).workflow.status == "running"  # placeholder
        await asyncio.sleep(1.0)  # several scans
        assert connections_to(ports) == [], "connected without demand"
        demand = server.sync.acquire(wid, Level.SUMMARY)
        assert await server.sync.wait_synced(wid, Level.SUMMARY, 20)
        assert connections_to(ports), "no connection while wanted"
        assert server.replica(wid).workflow.status == "paused"
        demand.release()
        await until(lambda: not connections_to(ports), 5, "disconnect after release")
        assert server.sync.link_state(wid) == LinkState.IDLE


async def test_linger_keeps_connection_for_a_reload(harness, run_dir):
    contact = await play(harness, "linger", SMALL, pause=True)
    ports = {contact.port, contact.pub_port}
    wid = f"~{OWNER}/linger"
    async with Server(run_dir, linger=1.5) as server:
        demand = server.sync.acquire(wid, Level.FULL)
        assert await server.sync.wait_synced(wid, Level.FULL, 20)
        sessions = server.sync.links[wid].sessions
        demand.release()
        await asyncio.sleep(0.5)
        again = server.sync.acquire(wid, Level.FULL)  # a page reload within the linger
        assert server.sync.links[wid].sessions == sessions
        again.release()
        await until(lambda: not connections_to(ports), 5, "disconnect after linger")
        assert server.replica(wid).counts()["task_proxies"] == 0, "elements not freed"


async def test_summary_follows_status_and_totals(harness, run_dir):
    await play(harness, "summ", SMALL, pause=True)
    wid = f"~{OWNER}/summ"
    async with Server(run_dir) as server:
        with server.sync.acquire(wid, Level.SUMMARY):
            assert await server.sync.wait_synced(wid, Level.SUMMARY, 20)
            replica = server.replica(wid)
            assert replica.workflow.status == "paused"
            assert replica.counts()["task_proxies"] == 0, "summary level pulled elements"
            await asyncio.to_thread(harness.resume, "summ")
            await until(lambda: server.replica(wid).workflow.status == "running", 20, "running")
            await until(
                lambda: server.replica(wid).workflow.state_totals.get("succeeded", 0) > 0,
                30,
                "state totals to show succeeded tasks",
            )
            await asyncio.to_thread(harness.pause, "summ")
            await until(lambda: server.replica(wid).workflow.status == "paused", 20, "paused")


async def test_upgrade_from_summary_to_full(harness, run_dir):
    await play(harness, "upgrade", SMALL, pause=True)
    wid = f"~{OWNER}/upgrade"
    async with Server(run_dir) as server:
        summary = server.sync.acquire(wid, Level.SUMMARY)
        assert await server.sync.wait_synced(wid, Level.SUMMARY, 20)
        with server.sync.acquire(wid, Level.FULL):
            assert await server.sync.wait_synced(wid, Level.FULL, 20)
            assert server.replica(wid).counts()["task_proxies"] > 0
            await assert_converges(server, wid)
        await until(lambda: server.sync.links[wid].synced_level == Level.SUMMARY, 10,
                       "downgrade to summary")
        assert server.replica(wid).counts()["task_proxies"] == 0
        summary.release()


async def test_full_replica_equals_snapshot_after_minutes_of_activity(harness, run_dir):
    await play(harness, "busy", BUSY)
    wid = f"~{OWNER}/busy"
    async with Server(run_dir, health_interval=30.0) as server:
        with server.sync.acquire(wid, Level.FULL):
            assert await server.sync.wait_synced(wid, Level.FULL, 20)
            link = server.sync.links[wid]
            await asyncio.sleep(SOAK_SECONDS)
            assert link.batches > SOAK_SECONDS / 3, f"only {link.batches} batches"
            assert link.state == LinkState.SYNCED
            await asyncio.to_thread(harness.pause, "busy")
            await assert_converges(server, wid, timeout=60)
            # Jobs leave the store with their tasks, so count every job the
            # stream ever added rather than what is left at the end.
            jobs = {job.id for c in server.changes for job in c.added.get("jobs", ())}
            assert len(jobs) > 10, f"expected plenty of activity, saw {len(jobs)} jobs"


async def test_stop_and_restart_with_new_keys(harness, run_dir):
    first = await play(harness, "restart", SMALL, pause=True)
    wid = f"~{OWNER}/restart"
    async with Server(run_dir) as server:
        with server.sync.acquire(wid, Level.FULL):
            assert await server.sync.wait_synced(wid, Level.FULL, 20)
            await asyncio.to_thread(harness.stop, "restart")
            await until(lambda: server.replica(wid).workflow.status == "stopped", 10,
                           "stopped status")
            assert any(c.shutdown for c in server.changes), "no shutdown change emitted"
            assert server.replica(wid).workflow.status_msg == "stopped"
            await until(lambda: server.sync.link_state(wid) == LinkState.STOPPED, 10,
                           "link stopped")
            second = await asyncio.to_thread(harness.play, "restart", pause=True)
            assert (second.pid, second.port) != (first.pid, first.port)
            assert second.uuid == first.uuid
            await until(lambda: server.sync.links[wid].synced_level == Level.FULL, 20,
                           "resync after restart")
            assert server.replica(wid).workflow.status == "paused"
            await assert_converges(server, wid)


async def test_kill9_stale_contact_then_play_again(harness, run_dir):
    await play(harness, "killed", SMALL, pause=True)
    wid = f"~{OWNER}/killed"
    async with Server(run_dir) as server:
        with server.sync.acquire(wid, Level.FULL):
            assert await server.sync.wait_synced(wid, Level.FULL, 20)
            await asyncio.to_thread(harness.kill9, "killed")
            assert (run_dir / "killed/.service/contact").exists()
            await until(lambda: not server.registry.get(wid).running, 10, "stale detection")
            assert "stale" in server.registry.get(wid).problem
            await until(lambda: server.replica(wid).workflow.status == "stopped", 10,
                           "stopped status")
            await asyncio.to_thread(harness.play, "killed", pause=True)
            await until(lambda: server.sync.links[wid].synced_level == Level.FULL, 30,
                           "resync after replay")
            await assert_converges(server, wid)


async def test_reload_converges(harness, run_dir):
    await play(harness, "reload", SMALL, pause=True)
    wid = f"~{OWNER}/reload"
    async with Server(run_dir) as server:
        with server.sync.acquire(wid, Level.FULL):
            assert await server.sync.wait_synced(wid, Level.FULL, 20)
            before = len(server.changes)
            (run_dir / "reload/flow.cylc").write_text(
                SMALL.replace("title = the first task", "title = reloaded")
            )
            await asyncio.to_thread(harness.reload, "reload")
            await until(
                lambda: any(c.reloaded for c in server.changes[before:]), 30, "reloaded batch"
            )
            await until(
                lambda: any(
                    t.meta.title == "reloaded"
                    for t in server.replica(wid).elements["tasks"].values()
                ),
                30,
                "new definition",
            )
            await assert_converges(server, wid)


async def test_hung_scheduler_does_not_delay_another(harness, run_dir):
    await play(harness, "hung", BUSY)
    await play(harness, "lively", BUSY)
    hung, lively = f"~{OWNER}/hung", f"~{OWNER}/lively"
    async with Server(run_dir, health_interval=1.0, request_timeout=1.0) as server:
        with server.sync.acquire(hung, Level.FULL), server.sync.acquire(lively, Level.FULL):
            assert await server.sync.wait_synced(hung, Level.FULL, 20)
            assert await server.sync.wait_synced(lively, Level.FULL, 20)
            await asyncio.to_thread(harness.sigstop, "hung")
            try:
                await until(
                    lambda: server.sync.link_state(hung) == LinkState.UNRESPONSIVE, 15,
                    "hung scheduler reported unresponsive",
                )
                link = server.sync.links[lively]
                start, t0 = link.batches, time.monotonic()
                await until(lambda: link.batches >= start + 3, 15, "batches from the other")
                # The other workflow's batches keep their normal ~1 s cadence.
                assert time.monotonic() - t0 < 10
                assert server.registry.get(hung).running  # alive, just stopped
            finally:
                await asyncio.to_thread(harness.sigcont, "hung")
            await until(lambda: server.sync.link_state(hung) == LinkState.SYNCED, 20,
                           "hung scheduler back in sync")
            await asyncio.to_thread(harness.pause, "hung")
            await assert_converges(server, hung, timeout=60)


async def test_run_dir_deleted_while_connected(harness, run_dir):
    contact = await play(harness, "doomed", SMALL, pause=True)
    wid = f"~{OWNER}/doomed"
    async with Server(run_dir) as server:
        with server.sync.acquire(wid, Level.FULL):
            assert await server.sync.wait_synced(wid, Level.FULL, 20)
            os.kill(contact.pid, signal.SIGSTOP)  # keep it from noticing first
            try:
                shutil.rmtree(run_dir / "doomed")
                await until(lambda: server.store.get(wid) is None, 10, "replica removed")
                removed = [c for c in server.changes if c.reason == "removed"]
                assert removed and removed[-1].pruned["workflow"] == [wid]
                await until(lambda: not connections_to({contact.port, contact.pub_port}),
                               5, "sockets closed")
            finally:
                os.kill(contact.pid, signal.SIGKILL)
