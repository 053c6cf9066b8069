"""The forwarded mutation document and its per-workflow variables."""

from __future__ import annotations

import pytest
from graphql import parse

from uiserver.commands import build_document, workflow_variables

HOLD_TYPES = {"workflows": "[WorkflowID]!", "tasks": "[NamespaceIDGlob]!"}


def test_hold_document_matches_the_reference_shape():
    doc = build_document("hold", {"workflows": ["~u/a"], "tasks": ["1/foo"]}, HOLD_TYPES)
    assert doc == (
        "mutation ($workflows: [WorkflowID]!, $tasks: [NamespaceIDGlob]!) "
        "{ hold(workflows: $workflows, tasks: $tasks) { result } }"
    )
    parse(doc)  # valid GraphQL


def test_null_arguments_are_left_to_the_scheduler_default():
    types = {"workflows": "[WorkflowID]!", "mode": "WorkflowStopMode", "cyclePoint": "CyclePoint"}
    doc = build_document("stop", {"workflows": ["a"], "mode": "Clean", "cyclePoint": None}, types)
    assert "cyclePoint" not in doc
    assert "$mode: WorkflowStopMode" in doc and "mode: $mode" in doc


def test_nested_list_types_and_spacing_are_normalised():
    types = {"workflows": "[ WorkflowID ]!", "messages": "[[String]]"}
    doc = build_document("message", {"workflows": ["a"], "messages": [["INFO", "x"]]}, types)
    assert "$messages: [[String]]" in doc and "$workflows: [WorkflowID]!" in doc
    parse(doc)


def test_mutation_without_arguments():
    assert build_document("pause", {}, {}) == "mutation { pause { result } }"


@pytest.mark.parametrize(
    ("mutation", "args", "types"),
    [
        ("hold { x }", {"workflows": ["a"]}, {"workflows": "[WorkflowID]!"}),
        ("hold", {"a) { x } #": 1}, {"a) { x } #": "Int"}),
        ("hold", {"workflows": ["a"]}, {"workflows": "[WorkflowID]!) { x"}),
        ("hold", {"workflows": ["a"]}, {"workflows": "[[WorkflowID]!"}),
        ("hold", {"workflows": ["a"], "tasks": ["x"]}, {"workflows": "[WorkflowID]!"}),
    ],
)
def test_nothing_can_be_spliced_in(mutation, args, types):
    with pytest.raises(ValueError):
        build_document(mutation, args, types)


def test_variables_target_one_workflow_and_drop_nulls():
    args = {"workflows": ["*"], "tasks": ["1/*"], "flowDescr": None}
    variables = workflow_variables(args, "~u/a")
    assert variables == {"workflows": ["~u/a"], "tasks": ["1/*"]}
    assert args["workflows"] == ["*"]  # the caller's dict is untouched
