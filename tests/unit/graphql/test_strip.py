"""Null stripping and the document-wide ``stripNull`` detection (web-api §7.4)."""

from __future__ import annotations

import pytest
from graphql import parse

from uiserver.graphql.strip import document_strips_nulls, strip_nulls


def test_strip_nulls_removes_nulls_and_empty_containers_recursively():
    data = {
        "a": None,
        "b": [],
        "c": {},
        "d": {"e": None, "f": [None, {}], "g": 0, "h": False, "i": ""},
        "j": [{"k": None}, {"l": 1}, [], [None], [2]],
        "m": "x",
    }
    assert strip_nulls(data) == {"d": {"g": 0, "h": False, "i": ""}, "j": [{"l": 1}, [2]], "m": "x"}


def test_strip_nulls_keeps_falsy_scalars_and_leaves_input_alone():
    data = {"deltas": {"shutdown": False, "added": {"workflow": {"port": 0, "id": ""}}}}
    assert strip_nulls(data) == data
    original = {"x": {"y": None}}
    assert strip_nulls(original) == {}
    assert original == {"x": {"y": None}}
    assert strip_nulls(None) is None
    assert strip_nulls([None]) == []


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ("subscription { deltas { added { workflow { id } } } }", None, False),
        ("subscription { deltas { updated(stripNull: true) { workflow { id } } } }", None, True),
        ("subscription { deltas { updated(stripNull: false) { workflow { id } } } }", None, False),
        ("subscription { deltas(stripNull: true) { id } }", None, True),
        ("query { workflows { taskProxies(stripNull: true) { id } } }", None, True),
        ("query($s: Boolean) { workflows(stripNull: $s) { id } }", {"s": True}, True),
        ("query($s: Boolean) { workflows(stripNull: $s) { id } }", {"s": False}, False),
        ("query($s: Boolean) { workflows(stripNull: $s) { id } }", {}, False),
        ("query($s: Boolean = true) { workflows(stripNull: $s) { id } }", {}, True),
        ("query($s: Boolean = true) { workflows(stripNull: $s) { id } }", {"s": False}, False),
        (
            "subscription { deltas { ...U } } fragment U on Deltas { updated(stripNull: true) { workflow { id } } }",
            None,
            True,
        ),
        ('query { workflows(ids: ["stripNull"]) { id } }', None, False),
    ],
)
def test_document_strips_nulls(query, variables, expected):
    assert document_strips_nulls(parse(query), variables) is expected
