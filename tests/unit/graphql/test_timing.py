"""How long the web UI's ``Workflow`` burst takes to resolve for ~8000 task proxies.

Prints the time (run with ``-s`` to see it); asserts only that the result is whole.
"""

from __future__ import annotations

import time

import pytest
from graphql import execute, parse

from uiserver.graphql.awaitable import is_awaitable
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.store import Store

from ._big import WF, WORKFLOW_DOCUMENT, big_workflow
from ._data import run

pytestmark = pytest.mark.timeout(120)


def test_workflow_burst_timing():
    store = Store()
    replica = store.ensure(WF)
    replica.load_snapshot(big_workflow())
    parse(WORKFLOW_DOCUMENT)
    frame = DeltaFrame.burst(replica)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result, _context = run(store, WORKFLOW_DOCUMENT, {"workflowId": WF}, root=frame)
        best = min(best, time.perf_counter() - start)
    assert result.errors is None, result.errors
    added = result.data["deltas"]["added"]
    assert len(added["taskProxies"]) == 8000
    assert len(added["jobs"]) == 4000
    assert added["taskProxies"][1]["task"] == {"meanElapsedTime": 30.0}
    document = parse(WORKFLOW_DOCUMENT)
    fastest = float("inf")
    for _ in range(3):
        context = ResolveContext(store=store, owner="u", strip_null=True)
        start = time.perf_counter()
        execute(graphql_schema, document, root_value=frame, context_value=context,
                variable_values={"workflowId": WF}, is_awaitable=is_awaitable)
        fastest = min(fastest, time.perf_counter() - start)
    print(
        "\nWorkflow burst: 8000 task proxies, 4000 jobs, 1600 family proxies: "
        f"{best:.3f} s ({fastest:.3f} s with uiserver.graphql.awaitable.is_awaitable)"
    )
