"""A replica fed a long random-ish delta stream agrees with the producer and with cylc-flow."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from uiserver.scheduler.messages import AllDeltas, PbEntireWorkflow
from uiserver.store import ELEMENT_STORE_TYPES, WorkflowReplica, stamps_checksum

from .sim import W, Simulator

BATCHES = 150


def _stream(seed: int) -> tuple[bytes, list[bytes]]:
    """Return the snapshot and batches of one simulated run, as wire bytes."""
    sim = Simulator(seed)
    snapshot = sim.snapshot().SerializeToString()
    return snapshot, [sim.batch().SerializeToString() for _ in range(BATCHES)]


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_checksums_follow_the_producer(seed: int) -> None:
    sim = Simulator(seed)
    replica = WorkflowReplica(W)
    replica.load_snapshot(PbEntireWorkflow.FromString(sim.snapshot().SerializeToString()))
    previous = None
    for _ in range(BATCHES):
        batch = AllDeltas.FromString(sim.batch().SerializeToString())
        change, mismatched = replica.apply(batch)
        assert mismatched == []
        assert change is not None and change.reason == "delta"
        for name in ELEMENT_STORE_TYPES:
            expected = stamps_checksum(sim.expected[name].values())
            assert replica.checksum(name) == expected, name
            assert set(replica.elements[name]) == set(sim.expected[name]), name
        # Re-delivered sub-deltas older than the last applied ones change nothing.
        if previous is not None:
            stale = AllDeltas()
            for field, delta in previous.ListFields():
                if delta.time < replica.last_time[field.name]:
                    getattr(stale, field.name).CopyFrom(delta)
            before = replica.entire_workflow()
            assert replica.apply(stale) == (None, [])
            assert replica.entire_workflow() == before
        previous = batch
    # Relationship lists follow the live elements exactly (no duplicates).
    wf = replica.workflow
    assert sorted(wf.task_proxies) == sorted(replica.elements["task_proxies"])
    assert sorted(wf.family_proxies) == sorted(replica.elements["family_proxies"])
    assert sorted(wf.edges.edges) == sorted(replica.elements["edges"])
    assert sorted(wf.jobs) == sorted(replica.elements["jobs"])
    assert len(wf.log_records) <= 10
    for proxy in replica.elements["task_proxies"].values():
        assert set(proxy.edges) <= set(replica.elements["edges"])
        assert len(set(proxy.edges)) == len(proxy.edges)


_CYLC_ORACLE = textwrap.dedent(
    """
    import struct, sys
    from cylc.flow.data_messages_pb2 import AllDeltas, PbEntireWorkflow
    from cylc.flow.data_store_mgr import apply_delta

    TYPES = ("families", "family_proxies", "jobs", "tasks", "task_proxies", "edges")
    raw = open(sys.argv[1], "rb").read()
    frames, offset = [], 0
    while offset < len(raw):
        (size,) = struct.unpack_from(">I", raw, offset)
        frames.append(raw[offset + 4:offset + 4 + size])
        offset += 4 + size
    snapshot = PbEntireWorkflow.FromString(frames[0])
    data = {"workflow": snapshot.workflow}
    for name in TYPES:
        data[name] = {e.id: e for e in getattr(snapshot, name)}
    for frame in frames[1:]:
        for field, delta in AllDeltas.FromString(frame).ListFields():
            apply_delta(field.name, delta, data)
    out = PbEntireWorkflow()
    out.workflow.CopyFrom(data["workflow"])
    for name in TYPES:
        getattr(out, name).extend(data[name].values())
    open(sys.argv[2], "wb").write(out.SerializeToString())
    """
)


def _cylc_available() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import cylc.flow.data_store_mgr"], capture_output=True
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _cylc_available(), reason="cylc-flow is not importable")
@pytest.mark.parametrize("seed", [3, 11])
def test_same_store_as_cylc_flow_apply_delta(seed: int, tmp_path: Path) -> None:
    # cylc-flow's generated module clashes with ours in one process, so its
    # apply_delta runs the same wire bytes in a subprocess.
    snapshot, batches = _stream(seed)
    frames = tmp_path / "frames.bin"
    frames.write_bytes(b"".join(struct.pack(">I", len(f)) + f for f in [snapshot, *batches]))
    result = tmp_path / "result.bin"
    subprocess.run(
        [sys.executable, "-c", _CYLC_ORACLE, str(frames), str(result)],
        check=True, cwd=tmp_path,
    )
    theirs = PbEntireWorkflow.FromString(result.read_bytes())

    replica = WorkflowReplica(W)
    replica.load_snapshot(PbEntireWorkflow.FromString(snapshot))
    for batch in batches:
        assert replica.apply(AllDeltas.FromString(batch))[1] == []
    ours = replica.entire_workflow()

    assert ours.workflow == theirs.workflow
    for name in ELEMENT_STORE_TYPES:
        mine = {element.id: element for element in getattr(ours, name)}
        other = {element.id: element for element in getattr(theirs, name)}
        assert sorted(mine) == sorted(other), name
        for element_id, element in mine.items():
            assert element == other[element_id], element_id
