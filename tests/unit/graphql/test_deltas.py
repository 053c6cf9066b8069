"""The ``deltas`` subscription and the per-type subscriptions, resolved from frames."""

from __future__ import annotations

from graphql import parse, validate

from tests.ui_documents import APP_SUBSCRIPTION

from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.scheduler.messages import AllDeltas, PbTaskProxy, PbWorkflow
from uiserver.store import StoreChange

from ._big import WORKFLOW_DOCUMENT
from ._data import WF, data, make_store, ns, run

APP_DOCUMENT = APP_SUBSCRIPTION

#: What Apollo really sends: ``__typename`` in every selection set.
APP_WITH_TYPENAMES = APP_DOCUMENT.replace("{\n    id\n", "{\n    __typename\n    id\n").replace(
    "workflow { ...WorkflowData }", "workflow { __typename ...WorkflowData }"
)


def test_web_ui_documents_validate():
    for document in (APP_DOCUMENT, APP_WITH_TYPENAMES, WORKFLOW_DOCUMENT):
        assert validate(graphql_schema, parse(document)) == []


def test_app_burst():
    store = make_store()
    frame = DeltaFrame.burst(store.get(WF))
    result, context = run(store, APP_WITH_TYPENAMES, root=frame)
    deltas = data(result, context)["deltas"]
    assert deltas["id"] == WF
    assert deltas["__typename"] == "Deltas"
    assert deltas["added"]["workflow"] == {
        "__typename": "Workflow",
        "id": WF, "status": "running", "statusMsg": "running",
        "stateTotals": {"running": 1, "waiting": 2},
        "logRecords": [{"level": "WARNING", "message": "careful"}],
        "latestStateTasks": {"running": ["1/a"]},
        "cylcVersion": "8.5.4", "owner": "u", "host": "h", "port": 43001,
    }
    # stripNull anywhere strips the whole result: the empty sections vanish.
    assert "updated" not in deltas and "pruned" not in deltas


def test_workflow_burst():
    store = make_store()
    frame = DeltaFrame.burst(store.get(WF))
    result, context = run(store, WORKFLOW_DOCUMENT, {"workflowId": WF}, root=frame)
    added = data(result, context)["deltas"]["added"]
    assert added["workflow"] == {
        "id": WF, "status": "running", "statusMsg": "running", "nEdgeDistance": 1,
        "cylcVersion": "8.5.4", "reloaded": True,
    }
    # The flag is set in the frame only, not on the stored workflow.
    assert store.get(WF).workflow.reloaded is False
    assert [p["id"] for p in added["taskProxies"]] == [f"{WF}//1/a", f"{WF}//1/b", f"{WF}//2/a"]
    first = added["taskProxies"][0]
    # Complete elements keep their defaults (the section has no stripNull), so a
    # client learns isRetry is false rather than nothing about it.
    assert first == {
        "id": f"{WF}//1/a", "state": "running", "isHeld": False, "isQueued": False,
        "isRunahead": False, "isRetry": False, "isWallclock": False, "isXtriggered": False,
        "task": {"meanElapsedTime": 12.5},
        "firstParent": {"id": f"{WF}//1/root"}, "runtime": {"runMode": "Live"},
        "flowNums": "[1]", "name": "a",
    }
    assert added["familyProxies"][1] == {
        "__typename": "FamilyProxy", "id": f"{WF}//1/FAM", "state": "waiting",
        "ancestors": [{"name": "root"}], "childTasks": [{"id": f"{WF}//1/b"}],
    }
    assert added["jobs"] == [
        {
            "id": f"{WF}//1/a/01", "jobRunnerName": "background", "jobId": "1234",
            "platform": "localhost", "startedTime": "2000-01-01T00:00:01Z",
            "submittedTime": "2000-01-01T00:00:00Z", "finishedTime": "", "state": "running",
            "submitNum": 1, "messages": ["started"], "name": "a",
            "taskProxy": {"outputs": [
                {"label": "submitted", "message": "submitted"},
                {"label": "started", "message": "started"},
            ]},
        }
    ]
    assert added["edges"] == [
        {"id": f"{WF}//$edge|1/a|1/b", "source": f"{WF}//1/a", "target": f"{WF}//1/b"}
    ]


def _apply(store, deltas: AllDeltas) -> StoreChange:
    change, mismatched = store.get(WF).apply(deltas)
    assert change is not None and not mismatched
    return change


def test_updated_and_pruned_frame_from_a_real_batch():
    store = make_store()
    deltas = AllDeltas()
    deltas.task_proxies.time = 11.0
    deltas.task_proxies.updated.append(PbTaskProxy(id=f"{WF}//1/b", state="preparing", is_held=False))
    deltas.task_proxies.pruned.append(f"{WF}//2/a")
    deltas.workflow.time = 11.0
    deltas.workflow.updated.CopyFrom(PbWorkflow(id=WF, status_msg="busy"))
    frame = DeltaFrame.from_change(_apply(store, deltas))
    result, context = run(store, WORKFLOW_DOCUMENT, {"workflowId": WF}, root=frame)
    deltas_out = data(result, context)["deltas"]
    assert deltas_out["id"] == WF
    assert "added" not in deltas_out  # nothing added: stripped
    assert deltas_out["updated"] == {
        "workflow": {"id": WF, "statusMsg": "busy"},
        "taskProxies": [
            {"id": f"{WF}//1/b", "state": "preparing", "isHeld": False,
             "firstParent": {"id": f"{WF}//1/FAM"}}
        ],
    }
    assert deltas_out["pruned"] == {"taskProxies": [f"{WF}//2/a"]}


def test_sections_are_objects_even_when_empty():
    store = make_store()
    frame = DeltaFrame(workflow_id=WF, shutdown=True)
    result, context = run(
        store,
        "subscription { deltas { id shutdown added { workflow { id } taskProxies { id } } "
        "updated { workflow { id } jobs { id } } pruned { workflow taskProxies } } }",
        root=frame,
    )
    assert data(result, context) == {
        "deltas": {
            "id": WF,
            "shutdown": True,
            "added": {"workflow": None, "taskProxies": []},
            "updated": {"workflow": None, "jobs": []},
            "pruned": {"workflow": None, "taskProxies": []},
        }
    }


def test_pruned_workflow():
    store = make_store()
    frame = DeltaFrame(workflow_id=WF, pruned={"workflow": [WF]}, updated={"workflow": [PbWorkflow(id=WF, pruned=True)]})
    result, context = run(store, APP_DOCUMENT, root=frame)
    deltas = data(result, context)["deltas"]
    assert deltas["pruned"] == {"workflow": WF}
    assert deltas["updated"] == {"workflow": {"id": WF}}


def test_reloaded_change_flags_the_workflow():
    store = make_store()
    change = StoreChange(WF, updated={"workflow": [PbWorkflow(id=WF, status="paused")]}, reloaded=True)
    frame = DeltaFrame.from_change(change)
    result, context = run(store, WORKFLOW_DOCUMENT, {"workflowId": WF}, root=frame)
    assert data(result, context)["deltas"]["updated"]["workflow"] == {
        "id": WF, "status": "paused", "reloaded": True,
    }


def test_section_filters_and_delta_store():
    store = make_store()
    frame = DeltaFrame.burst(store.get(WF))
    result, context = run(
        store,
        'subscription { deltas { added { taskProxies(ids: ["1/b"]) { id } '
        'held: taskProxies(isHeld: true) { id } '
        'jobs(states: ["succeeded"]) { id } '
        'tasks(ids: ["a"]) { id } families { id } '
        'live: familyProxies(deltaStore: false) { id } '
        'fromUpdated: taskProxies(deltaType: "updated") { id } } } }',
        root=frame,
    )
    added = data(result, context)["deltas"]["added"]
    assert added == {
        "taskProxies": [{"id": f"{WF}//1/b"}],
        "held": [{"id": f"{WF}//1/b"}],
        "jobs": [],
        "tasks": [{"id": ns("a")}],
        "families": [{"id": ns("root")}, {"id": ns("FAM")}],
        "live": [{"id": f"{WF}//1/root"}, {"id": f"{WF}//1/FAM"}],
        "fromUpdated": [],
    }


def test_per_type_subscriptions():
    store = make_store("~u/other")
    frame = DeltaFrame(
        workflow_id=WF,
        added={"task_proxies": [store.get(WF).elements["task_proxies"][f"{WF}//2/a"]]},
        updated={"workflow": [PbWorkflow(id=WF, status="paused")]},
    )
    result, context = run(
        store,
        "subscription { "
        "workflows { id status } "
        'fromFrame: workflows(deltaStore: true, deltaType: "updated") { id status } '
        "taskProxies { id } "
        "liveProxies: taskProxies(deltaStore: false) { id } "
        'taskProxy(id: "~u/wf//2/a") { id } '
        'notInFrame: taskProxy(id: "~u/wf//1/a") { id } '
        'liveOne: taskProxy(id: "~u/wf//1/a", deltaStore: false) { id } '
        "jobs { id } "
        "liveJobs: jobs(deltaStore: false) { id } "
        'tasks(deltaStore: false) { id } '
        "edges(deltaStore: false) { id } "
        "nodesEdges(ids: [\"1/a\"]) { nodes { id } } "
        f'logs(id: "{WF}") {{ lines connected path error }} }}',
        root=frame,
    )
    got = result.data
    assert result.errors is None, result.errors
    # Only the frame's workflow, never the other one.
    assert got["workflows"] == [{"id": WF, "status": "running"}]
    assert got["fromFrame"] == [{"id": WF, "status": "paused"}]
    assert got["taskProxies"] == [{"id": f"{WF}//2/a"}]
    assert len(got["liveProxies"]) == 3
    assert got["taskProxy"] == {"id": f"{WF}//2/a"}
    assert got["notInFrame"] is None
    assert got["liveOne"] == {"id": f"{WF}//1/a"}
    assert got["jobs"] == []
    assert got["liveJobs"] == [{"id": f"{WF}//1/a/01"}]
    assert len(got["tasks"]) == 2
    assert got["edges"] == [{"id": f"{WF}//$edge|1/a|1/b"}]
    assert got["nodesEdges"] == {"nodes": [{"id": f"{WF}//1/a"}, {"id": f"{WF}//1/b"}]}
    assert got["logs"] == {
        "lines": None, "connected": False, "path": None,
        "error": "Log streaming is not available yet",
    }


def test_overlapping_selections_merge():
    store = make_store()
    frame = DeltaFrame.burst(store.get(WF))
    result, _context = run(
        store,
        "subscription { deltas { added { workflow { id } workflow { status } "
        "...A } } } fragment A on Added { workflow { id port } }",
        root=frame,
    )
    assert result.data["deltas"]["added"]["workflow"] == {"id": WF, "status": "running", "port": 43001}


def test_a_task_mean_change_refreshes_its_proxies_in_the_stream():
    """The web UI reads task { meanElapsedTime } through each proxy: a batch
    that only updates the task definition still updates the proxies."""
    from uiserver.scheduler.messages import PbTask

    store = make_store()
    replica = store.get(WF)
    task = next(iter(replica.elements["tasks"].values()))
    proxies = [p for p in task.proxies if p in replica.elements["task_proxies"]]
    assert proxies
    replica.elements["tasks"][task.id].mean_elapsed_time = 99.0
    change = StoreChange(WF, updated={"tasks": [PbTask(id=task.id, mean_elapsed_time=99.0)]})
    frame = DeltaFrame.from_change(change, replica)
    result, context = run(store, WORKFLOW_DOCUMENT, {"workflowId": WF}, root=frame)
    updated = data(result, context)["deltas"]["updated"]["taskProxies"]
    assert {p["id"]: p["task"] for p in updated} == {
        proxy: {"meanElapsedTime": 99.0} for proxy in proxies
    }
    # Without the replica the frame is the change as it came.
    assert "task_proxies" not in DeltaFrame.from_change(change).updated


def test_relations_of_partial_elements():
    """A partial lacking a relation borrows the live element's; one with no
    live element, or with the relation set empty, has none."""
    store = make_store()
    frame = DeltaFrame(
        workflow_id=WF,
        updated={"task_proxies": [
            PbTaskProxy(id=f"{WF}//1/a", state="failed"),  # live: relations from the store
            PbTaskProxy(id=f"{WF}//9/gone", state="failed"),  # no live element
            PbTaskProxy(id=f"{WF}//1/b", first_parent=""),  # cleared explicitly
        ]},
    )
    result, context = run(
        store,
        "subscription { deltas { updated(stripNull: true) { taskProxies { id "
        "task { id } firstParent { id } ancestors { id } jobs { id } "
        'frameParent: firstParent(deltaStore: true, deltaType: "updated") { id } } } } }',
        root=frame,
    )
    proxies = data(result, context)["deltas"]["updated"]["taskProxies"]
    assert proxies == [
        {"id": f"{WF}//1/a", "task": {"id": ns("a")}, "firstParent": {"id": f"{WF}//1/root"},
         "ancestors": [{"id": f"{WF}//1/root"}], "jobs": [{"id": f"{WF}//1/a/01"}]},
        {"id": f"{WF}//9/gone"},
        {"id": f"{WF}//1/b", "task": {"id": ns("b")},
         "ancestors": [{"id": f"{WF}//1/FAM"}, {"id": f"{WF}//1/root"}]},
    ]
