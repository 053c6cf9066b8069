"""Mutation descriptions and argument type names, which the web UI builds its commands from (web-api §5)."""

from __future__ import annotations

import re

import pytest
from graphql import GraphQLScalarType, get_introspection_query, graphql_sync

from uiserver.graphql.schema import MUTATION_ARGUMENT_TYPES, graphql_schema

#: The UI's own regular expression.
VALID_FOR = re.compile(r"Valid\sfor:\s(.*)\sworkflows.")

EXPECTED = {
    **dict.fromkeys(
        [
            "broadcast", "extTrigger", "hold", "release", "reload", "releaseHoldPoint",
            "setGraphWindowExtent", "setHoldPoint", "setVerbosity", "trigger",
        ],
        ["paused", "running"],
    ),
    **dict.fromkeys(
        ["kill", "message", "poll", "remove", "set", "stop"], ["paused", "running", "stopping"]
    ),
    "pause": ["running"],
    "resume": ["paused"],
    "play": ["stopped"],
    "clean": ["stopped"],
    "scan": ["stopped"],
}


def _introspected_mutations() -> dict[str, dict]:
    result = graphql_sync(graphql_schema, get_introspection_query(descriptions=True))
    assert result.errors is None
    types = {t["name"]: t for t in result.data["__schema"]["types"]}
    return {f["name"]: f for f in types["UISMutations"]["fields"]}


def test_every_mutation_has_its_valid_for_sentence():
    mutations = _introspected_mutations()
    assert set(mutations) == set(EXPECTED)
    for name, field in mutations.items():
        description = field["description"]
        assert description, name
        found = VALID_FOR.findall(description)
        assert len(found) == 1, (name, description)
        # The UI splits on commas and removes whitespace.
        assert [s.strip() for s in found[0].split(",")] == EXPECTED[name], name


def test_descriptions_have_a_short_summary_then_help():
    for name, field in _introspected_mutations().items():
        summary, _, rest = field["description"].partition("\n\n")
        assert summary and "\n" not in summary and len(summary) < 100, name
        assert "Valid for" not in summary, name
        help_text = rest.rsplit("\n\n", 1)[0]
        assert help_text and not help_text.startswith("Valid for"), name


def test_arguments_are_described():
    for name, field in _introspected_mutations().items():
        for argument in field["args"]:
            assert argument["description"], (name, argument["name"])


@pytest.mark.parametrize(
    "name",
    [
        "CyclePoint", "BroadcastCyclePoint", "WorkflowID", "NamespaceIDGlob", "NamespaceName",
        "TaskID", "TimePoint", "Flow", "OutputLabel", "PrerequisiteString", "CylcVersion",
        "BroadcastSetting", "GenericScalar",
    ],
)
def test_named_scalars_exist(name):
    assert isinstance(graphql_schema.type_map[name], GraphQLScalarType)


def test_mutation_argument_types_come_from_the_schema():
    assert MUTATION_ARGUMENT_TYPES["hold"] == {
        "tasks": "[NamespaceIDGlob]!", "workflows": "[WorkflowID]!",
    }
    assert MUTATION_ARGUMENT_TYPES["remove"]["flow"] == "[Flow!]"
    assert MUTATION_ARGUMENT_TYPES["broadcast"]["mode"] == "BroadcastMode!"
    assert MUTATION_ARGUMENT_TYPES["message"]["messages"] == "[[String]]"
    assert MUTATION_ARGUMENT_TYPES["scan"] == {}
    assert set(MUTATION_ARGUMENT_TYPES) == set(EXPECTED)
