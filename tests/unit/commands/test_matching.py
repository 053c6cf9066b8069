"""Matching the ``workflows`` argument against known workflow ids."""

from __future__ import annotations

import pytest

from uiserver.commands import WorkflowPattern, match_workflows, parse_pattern

IDS = ["~alice/demo/run1", "~alice/demo/run2", "~alice/other", "~bob/demo/run1"]
STATUS = {"~alice/demo/run1": "running", "~alice/demo/run2": "stopped",
          "~alice/other": "paused", "~bob/demo/run1": "running"}


def match(*patterns: str) -> list[str]:
    return match_workflows(IDS, patterns, STATUS.get)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("~alice/demo/run1", WorkflowPattern("alice", "demo/run1", None)),
        ("demo/*", WorkflowPattern(None, "demo/*", None)),
        ("~*/demo/*:running", WorkflowPattern("*", "demo/*", "running")),
        ("other:", WorkflowPattern(None, "other", None)),
        ("~alice/demo/run1//1/foo", WorkflowPattern("alice", "demo/run1", None)),
        ("", None),
        ("~alice", None),
        ("~/x", None),
    ],
)
def test_parse(text, expected):
    assert parse_pattern(text) == expected


def test_full_id_matches_exactly_that_workflow():
    assert match("~alice/demo/run1") == ["~alice/demo/run1"]


def test_without_user_any_owner_matches():
    assert match("demo/run1") == ["~alice/demo/run1", "~bob/demo/run1"]


def test_globs_are_fnmatch_and_case_sensitive():
    assert match("~alice/demo/*") == ["~alice/demo/run1", "~alice/demo/run2"]
    assert match("~alice/DEMO/*") == []
    assert match("~alice/demo/run[2]") == ["~alice/demo/run2"]


def test_status_selector():
    assert match("~alice/*:running") == ["~alice/demo/run1"]
    assert match("*:paused") == ["~alice/other"]
    assert match("*:stopping") == []


def test_several_patterns_union_without_duplicates():
    assert match("~alice/other", "~alice/*", "~bob/demo/run1") == IDS


def test_no_pattern_matches_nothing():
    assert match() == []
    assert match_workflows(IDS, [None, 3], STATUS.get) == []


def test_status_is_looked_up_only_when_a_pattern_needs_it():
    asked = []
    match_workflows(IDS, ["~alice/demo/run1"], lambda w: asked.append(w))
    assert asked == []
