"""What an operation needs of the sync layer, read off real documents."""

from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from tests.ui_documents import APP_SUBSCRIPTION, WORKFLOW_SUBSCRIPTION
from uiserver.graphql.schema import graphql_schema
from uiserver.graphql.selection import plan_subscription, workflow_fields_level
from uiserver.store import StoreChange
from uiserver.sync import Level


def plan(document: str, variables: dict | None = None):
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return plan_subscription(graphql_schema, operation, fragments, variables or {})


def test_the_sidebar_needs_summaries_of_every_workflow():
    sidebar = plan(APP_SUBSCRIPTION)
    assert sidebar.root == "deltas"
    assert sidebar.workflows is None and sidebar.level == Level.SUMMARY
    assert sidebar.types == {"workflow"} and sidebar.initial_burst and sidebar.interval == 0
    # A batch that only touches tasks cannot change what the sidebar shows.
    assert not sidebar.wants(StoreChange("~u/w", updated={"task_proxies": [object()]}))
    assert sidebar.wants(StoreChange("~u/w", updated={"workflow": [object()]}))
    assert sidebar.wants(StoreChange("~u/w", shutdown=True))


def test_the_workspace_needs_one_workflow_in_full():
    workspace = plan(WORKFLOW_SUBSCRIPTION, {"workflowId": "~u/w"})
    assert workspace.workflows == {"~u/w"} and workspace.level == Level.FULL
    assert workspace.types >= {"workflow", "task_proxies", "jobs", "edges", "family_proxies"}


def test_arguments_are_read_by_their_graphql_names():
    paced = plan("subscription { workflows(ids: [\"~u/a\"], ignoreInterval: 2, initialBurst: false)"
                 " { id stateTotals } }")
    assert paced.workflows == {"~u/a"} and paced.interval == 2.0 and not paced.initial_burst
    assert paced.level == Level.SUMMARY
    # The schema's default for the workflows subscription paces it at 2.5 s.
    assert plan("subscription { workflows { id } }").interval == 2.5


def test_nested_elements_under_the_workflow_need_full_sync():
    nested = plan("subscription { deltas { added { workflow { taskProxies { id } } } } }")
    assert nested.level == Level.FULL
    per_type = plan('subscription { taskProxies(workflows: ["~u/w"]) { id } }')
    assert per_type.level == Level.FULL and per_type.workflows == {"~u/w"}
    globbed = plan('subscription { jobs(workflows: ["~u/*"]) { id } }')
    assert globbed.workflows is None


def test_placeholder_fields_need_no_connection():
    document = parse("{ workflows { id name status statusMsg host port } }")
    (operation,) = document.definitions
    (field,) = operation.selection_set.selections
    assert workflow_fields_level([field], {}) == Level.NONE
    document = parse("{ workflows { id stateTotals } }")
    (operation,) = document.definitions
    (field,) = operation.selection_set.selections
    assert workflow_fields_level([field], {}) == Level.SUMMARY
