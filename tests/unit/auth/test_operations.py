"""Operation names, access groups and their spellings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from uiserver.auth import ALL, CONTROL, MUTATIONS, OPERATIONS, READ, camel_case, snake_case

SCHEMA = Path("/work/shared/reference/cylc-uis-schema.graphql")


def test_operations_are_read_plus_the_21_mutations() -> None:
    assert len(MUTATIONS) == 21
    assert OPERATIONS == MUTATIONS | {"read"}
    assert len(OPERATIONS) == 22


@pytest.mark.skipif(not SCHEMA.exists(), reason="reference schema not available")
def test_mutations_match_the_reference_schema() -> None:
    text = SCHEMA.read_text()
    body = re.search(r"^type UISMutations \{(.*?)^\}", text, re.S | re.M)
    assert body is not None
    fields = set(re.findall(r"^  ([a-zA-Z]+)", body.group(1), re.M))
    assert {camel_case(op) for op in MUTATIONS} == fields


def test_groups_do_not_imply_each_other() -> None:
    assert READ == {"read"}
    assert "read" not in CONTROL
    assert "broadcast" not in CONTROL
    assert CONTROL == MUTATIONS - {"broadcast"}
    assert ALL == CONTROL | {"broadcast", "read"} == OPERATIONS


@pytest.mark.parametrize(
    ("snake", "camel"),
    [
        ("set_hold_point", "setHoldPoint"),
        ("ext_trigger", "extTrigger"),
        ("set_graph_window_extent", "setGraphWindowExtent"),
        ("read", "read"),
        ("set", "set"),
    ],
)
def test_spellings_round_trip(snake: str, camel: str) -> None:
    assert camel_case(snake) == camel
    assert snake_case(camel) == snake


def test_every_operation_round_trips() -> None:
    for op in OPERATIONS:
        assert snake_case(camel_case(op)) == op


def test_snake_case_leaves_introspection_names_alone() -> None:
    assert snake_case("__typename") == "__typename"
