"""The bounded audit log."""

from __future__ import annotations

import logging

import pytest

from uiserver.commands import ACCEPTED, FAILED, AuditLog, Outcome


def test_newest_first_and_limit():
    audit = AuditLog(10)
    for i in range(5):
        audit.record("u", f"m{i}", {}, [], when=float(i))
    assert [e.mutation for e in audit.entries()] == ["m4", "m3", "m2", "m1", "m0"]
    assert [e.mutation for e in audit.entries(2)] == ["m4", "m3"]
    assert audit.entries(0) == []


def test_bounded_oldest_dropped():
    audit = AuditLog(3)
    for i in range(7):
        audit.record("u", f"m{i}", {}, [])
    assert len(audit) == 3 and audit.size == 3
    assert [e.mutation for e in audit.entries(100)] == ["m6", "m5", "m4"]


def test_size_must_be_positive():
    with pytest.raises(ValueError):
        AuditLog(0)


def test_arguments_are_copied():
    audit = AuditLog()
    args = {"workflows": ["a"], "tasks": ["1/x"]}
    entry = audit.record("alice", "hold", args, [Outcome("~u/a", ACCEPTED, "id")])
    args["tasks"].append("2/y")
    assert entry.arguments == {"workflows": ["a"], "tasks": ["1/x"]}
    assert entry.user == "alice" and entry.time > 0


def test_one_info_line_per_command(caplog):
    audit = AuditLog()
    with caplog.at_level(logging.INFO, logger="uiserver.commands"):
        outcomes = [Outcome("~u/a", ACCEPTED, ""), Outcome("~u/b", FAILED, "~u/b is not running")]
        audit.record("alice", "hold", {"workflows": ["a"]}, outcomes)
    lines = [r.getMessage() for r in caplog.records if r.name == "uiserver.commands"]
    assert len(lines) == 1
    assert "hold" in lines[0] and "alice" in lines[0]
    assert "~u/a: accepted" in lines[0] and "~u/b: failed (~u/b is not running)" in lines[0]
