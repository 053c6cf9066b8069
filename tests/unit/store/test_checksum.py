"""Checksums over stamps (edges: ids), as the scheduler computes them."""

from __future__ import annotations

import random
import zlib

from uiserver.scheduler.messages import AllDeltas, JDeltas, PbEdge, PbJob
from uiserver.store import WorkflowReplica, stamps_checksum, type_checksum
from uiserver.store.checksum import SortedStamps


def test_sorted_by_code_point_and_concatenated() -> None:
    stamps = ["b@1", "B@1", "é@1", "z@1", "a@2"]
    expected = zlib.adler32("B@1a@2b@1z@1é@1".encode()) & 0xFFFFFFFF
    assert stamps_checksum(stamps) == expected
    assert stamps_checksum(reversed(stamps)) == expected
    assert stamps_checksum(iter([])) == 1


def test_type_checksum_uses_stamp_except_for_edges() -> None:
    jobs = {"j": PbJob(id="j", stamp="j@1")}
    assert type_checksum("jobs", jobs) == stamps_checksum(["j@1"])
    edges = {"e": PbEdge(id="e", stamp="ignored")}
    assert type_checksum("edges", edges) == stamps_checksum(["e"])
    assert type_checksum("task_proxies", {}) == 1


def test_replica_checksum() -> None:
    replica = WorkflowReplica("~u/w")
    replica.elements["jobs"]["j"] = PbJob(id="j", stamp="j@1")
    assert replica.checksum("jobs") == stamps_checksum(["j@1"])
    assert replica.checksum("edges") == 1


def test_sorted_stamps_follow_random_changes() -> None:
    rng = random.Random(5)
    stamps = SortedStamps("jobs")
    elements = {f"j{n}": PbJob(id=f"j{n}", stamp=f"j{n}@0") for n in range(50)}
    assert stamps.checksum(elements) == type_checksum("jobs", elements)
    assert stamps.valid
    for step in range(500):
        element_id = f"j{rng.randrange(80)}"
        old = elements.get(element_id)
        if old is not None and rng.random() < 0.3:
            del elements[element_id]
            stamps.replace(old.stamp, None)
        else:
            elements[element_id] = PbJob(id=element_id, stamp=f"{element_id}@{step}")
            stamps.replace(None if old is None else old.stamp, elements[element_id].stamp)
        assert stamps.valid
        assert stamps.checksum(elements) == type_checksum("jobs", elements)


def test_sorted_stamps_fail_safe() -> None:
    elements = {"a": PbJob(id="a", stamp="a@1"), "b": PbJob(id="b", stamp="b@1")}
    stamps = SortedStamps("jobs")
    stamps.checksum(elements)
    # A removal of a stamp it never had: rebuilt, not guessed.
    stamps.replace("zz@9", "a@2")
    assert not stamps.valid
    elements["a"] = PbJob(id="a", stamp="a@2")
    assert stamps.checksum(elements) == type_checksum("jobs", elements)
    # An element added behind its back: the size differs, so it rebuilds.
    elements["c"] = PbJob(id="c", stamp="c@1")
    assert stamps.checksum(elements) == type_checksum("jobs", elements)
    edges = SortedStamps("edges")
    assert edges.checksum({"e": PbEdge(id="e", stamp="ignored")}) == stamps_checksum(["e"])


def test_replica_verifies_small_batches_without_resorting() -> None:
    """Batches that touch few elements keep the sorted stamps; a bad checksum is still caught."""
    replica = WorkflowReplica("~u/w")
    jobs = {f"j{n:03}": f"j{n:03}@0" for n in range(100)}
    replica.apply(AllDeltas(jobs=JDeltas(
        time=1.0, added=[PbJob(id=i, stamp=s) for i, s in jobs.items()],
        checksum=stamps_checksum(jobs.values()),
    )))
    index = replica._stamps["jobs"]
    assert index.valid
    rng = random.Random(11)
    for step in range(2, 60):
        batch = JDeltas(time=float(step))
        for element_id in rng.sample(sorted(jobs), 5):
            jobs[element_id] = f"{element_id}@{step}"
            batch.updated.append(PbJob(id=element_id, stamp=jobs[element_id]))
        gone = rng.choice(sorted(jobs))
        del jobs[gone]
        batch.pruned.append(gone)
        new_id = f"k{step:03}"
        jobs[new_id] = f"{new_id}@{step}"
        batch.added.append(PbJob(id=new_id, stamp=jobs[new_id]))
        batch.checksum = stamps_checksum(jobs.values())
        assert replica.apply(AllDeltas(jobs=batch))[1] == []
        assert index.valid, "a small batch re-sorted the stamps"
    element_id = next(iter(jobs))
    bad = JDeltas(time=99.0, updated=[PbJob(id=element_id, stamp=f"{element_id}@99")],
                  checksum=stamps_checksum(jobs.values()))
    assert replica.apply(AllDeltas(jobs=bad))[1] == ["jobs"]
