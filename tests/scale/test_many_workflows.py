"""Hundreds of workflows at once, against the benchmark's synthetic scheduler.

One process serves 300 workflows over the real protocol (contact files,
CurveZMQ, REQ/REP and PUB/SUB with correct checksums), so the data path
runs as it would for 300 schedulers: registry, sync manager, store.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.extension import until
from uiserver.store import Store
from uiserver.sync import Level, LinkState, SyncManager
from uiserver.workflows import WorkflowRegistry

ROOT = Path(__file__).resolve().parents[2]
OWNER = "root" if os.geteuid() == 0 else __import__("getpass").getuser()
WORKFLOWS = 300


@pytest.fixture
def synthetic_home(tmp_path: Path):
    """A HOME whose cylc-run holds WORKFLOWS live synthetic workflows."""
    # Each summary link needs two file descriptors; allow what the hard limit does.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * WORKFLOWS + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.synthetic.server", "--home", str(tmp_path),
         "--workflows", str(WORKFLOWS), "--tasks", "10", "--changes", "2",
         "--interval", "0.5", "--duration", "300"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        line = process.stdout.readline()  # printed once every contact file is written
        assert line.startswith("serving"), line
        yield tmp_path
    finally:
        deadline = time.monotonic() + 10
        process.send_signal(signal.SIGTERM)
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        if resource.getrlimit(resource.RLIMIT_NOFILE) != (soft, hard):
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def scheduler_connections(pid: int) -> int:
    """Established TCP connections from this process to the synthetic scheduler."""
    ours = psutil.Process()
    theirs = {c.laddr.port for c in psutil.Process(pid).net_connections("tcp")
              if c.status == psutil.CONN_LISTEN}
    return sum(1 for c in ours.net_connections("tcp")
               if c.raddr and c.raddr.port in theirs and c.status == psutil.CONN_ESTABLISHED)


async def test_three_hundred_summary_workflows_hold_one_socket_each(synthetic_home):
    registry = WorkflowRegistry(synthetic_home / "cylc-run", OWNER, scan_interval=0)
    store = Store()
    # An idle REQ socket would close after a minute: a summary link closes its
    # own as soon as it has seeded.
    sync = SyncManager(
        registry, store, linger=0.0, request_idle_close=60.0, connect_concurrency=16
    )
    gate = sync.connect_gate
    most_in_use = 0
    enter = gate.enter

    async def counting_enter():
        nonlocal most_in_use
        slot = await enter()
        most_in_use = max(most_in_use, gate.in_use)
        return slot

    gate.enter = counting_enter
    await sync.start()
    await registry.start()
    demands = []
    try:
        ids = sorted(registry.entries)
        assert len(ids) == WORKFLOWS
        scheduler_pid = registry.entries[ids[0]].contact.pid
        started = {wid: 0.0 for wid in ids}
        demands = [sync.acquire(wid, Level.SUMMARY) for wid in ids]
        # ZMQ's default of 1023 sockets per context, with four sockets per
        # connecting workflow, used to leave a fifth of these failing.
        await until(
            lambda: all(sync.links[w].state == LinkState.SYNCED for w in ids), 60,
            "every link synced",
        )
        assert not [w for w in ids if sync.links[w].error]
        # At most 16 were connecting and seeding at any one time.
        assert most_in_use == 16 and gate.in_use == 0 and gate.waiting == 0
        for wid in ids:
            started[wid] = store.get(wid).workflow.last_updated
        # Updates flow for every workflow (one batch each per 0.5 s).
        await until(
            lambda: all(store.get(w).workflow.last_updated > started[w] for w in ids), 30,
            "an update from every workflow",
        )
        # Once connected, a summary link keeps its SUB socket only: the
        # handshake monitor is closed, and so is the REQ socket once seeded.
        assert not any(sync.links[w].client and sync.links[w].client.connected for w in ids)
        assert scheduler_connections(scheduler_pid) == WORKFLOWS
    finally:
        for demand in demands:
            demand.release()
        await registry.stop()
        await sync.stop()
