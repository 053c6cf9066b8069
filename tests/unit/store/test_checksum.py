"""Checksums over stamps (edges: ids), as the scheduler computes them."""

from __future__ import annotations

import zlib

from uiserver.scheduler.messages import PbEdge, PbJob
from uiserver.store import WorkflowReplica, stamps_checksum, type_checksum


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
