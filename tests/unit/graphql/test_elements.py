"""Element types resolve from the replica's protobuf messages."""

from __future__ import annotations

import json

from uiserver.graphql.frames import DeltaFrame
from uiserver.scheduler.messages import PbEdge, PbFamilyProxy, PbTaskProxy, PbWorkflow

from ._data import WF, data, make_store, ns, run


def _proxy(store, query: str, proxy: str = "1/a", **kwargs):
    result, context = run(store, f'{{ taskProxy(id: "{WF}//{proxy}") {{ {query} }} }}', **kwargs)
    return data(result, context)["taskProxy"]


def _updated_frame(*elements, type_name: str = "task_proxies") -> DeltaFrame:
    return DeltaFrame(workflow_id=WF, updated={type_name: list(elements)})


UPDATED_PROXY = """
subscription {
  deltas {
    updated%s {
      taskProxies {
        id state isHeld jobSubmits name namespace flowNums
        runtime { runMode script }
        task { meanElapsedTime }
        firstParent { id }
      }
    }
  }
}
"""


def test_scalar_fields():
    store = make_store()
    result, context = run(
        store,
        "{ workflows { id name owner status statusMsg host port pubPort apiVersion cylcVersion "
        "lastUpdated isHeldTotal nEdgeDistance nsDefOrder jobLogNames states reloaded "
        "timeZoneInfo { hours stringBasic stringExtended } logRecords { level message } } }",
    )
    assert data(result, context)["workflows"] == [
        {
            "id": WF, "name": "wf", "owner": "u", "status": "running", "statusMsg": "running",
            "host": "h", "port": 43001, "pubPort": 43002, "apiVersion": 5, "cylcVersion": "8.5.4",
            "lastUpdated": 10.5, "isHeldTotal": 1, "nEdgeDistance": 1,
            "nsDefOrder": ["root", "FAM", "a", "b"], "jobLogNames": ["job.out"],
            "states": ["running", "waiting"], "reloaded": False,
            "timeZoneInfo": {"hours": 0, "stringBasic": "Z", "stringExtended": "Z"},
            "logRecords": [{"level": "WARNING", "message": "careful"}],
        }
    ]


def test_unset_fields_resolve_to_protobuf_defaults_without_strip_null():
    store = make_store()
    partial = PbTaskProxy(id=f"{WF}//1/a", state="succeeded")
    result, context = run(store, UPDATED_PROXY % "", root=_updated_frame(partial))
    assert not context.strip_null
    (proxy,) = data(result, context)["deltas"]["updated"]["taskProxies"]
    assert proxy == {
        "id": f"{WF}//1/a", "state": "succeeded", "isHeld": False, "jobSubmits": 0, "name": "",
        "namespace": [], "flowNums": "", "runtime": {"runMode": None, "script": ""},
        # Relations come from the live element: current values in every frame.
        "task": {"meanElapsedTime": 12.5}, "firstParent": {"id": f"{WF}//1/root"},
    }


def test_unset_fields_resolve_to_null_with_strip_null():
    store = make_store()
    partial = PbTaskProxy(id=f"{WF}//1/a", state="succeeded", is_held=False)
    result, context = run(store, UPDATED_PROXY % "(stripNull: true)", root=_updated_frame(partial))
    assert context.strip_null
    (proxy,) = result.data["deltas"]["updated"]["taskProxies"]
    assert proxy["name"] is None and proxy["runtime"] is None and proxy["namespace"] is None
    (proxy,) = data(result, context)["deltas"]["updated"]["taskProxies"]
    # A field explicitly set to its default is a change, and is kept.
    assert proxy == {
        "id": f"{WF}//1/a", "state": "succeeded", "isHeld": False,
        "task": {"meanElapsedTime": 12.5}, "firstParent": {"id": f"{WF}//1/root"},
    }


def test_runtime_settings_are_decoded_from_json():
    store = make_store()
    runtime = _proxy(
        store,
        "runtime { platform script runMode directives { key value } environment { key value } "
        "outputs { key value } initScript }",
    )["runtime"]
    assert runtime == {
        "platform": "localhost", "script": "echo hi", "runMode": "Live",
        "directives": [{"key": "--mem", "value": "1G"}],
        "environment": [{"key": "X", "value": "1"}, {"key": "Y", "value": "2"}],
        "outputs": [], "initScript": "",
    }
    # Unreadable JSON gives nothing rather than an error.
    store.get(WF).elements["task_proxies"][f"{WF}//1/a"].runtime.directives = "{not json"
    assert _proxy(store, "runtime { directives { key } }")["runtime"]["directives"] == []


def test_meta_and_broadcasts_are_generic_values():
    store = make_store()
    result, context = run(
        store,
        '{ workflows { meta { title description URL userDefined } '
        'all: broadcasts one: broadcasts(ids: ["1/a"]) root: broadcasts(ids: ["*/root"]) '
        'none: broadcasts(ids: ["2/b"]) } '
        f'task(id: "{ns("a")}") {{ meta {{ title userDefined }} }} }}',
    )
    got = data(result, context)
    (workflow,) = got["workflows"]
    assert workflow["meta"] == {
        "title": "A workflow", "description": "", "URL": "https://example.org",
        "userDefined": {"owner": "me"},
    }
    assert workflow["all"] == {"1": {"a": {"environment": {"X": "2"}}}, "*": {"root": {"script": "true"}}}
    assert workflow["one"] == {"1": {"a": {"environment": {"X": "2"}}}}
    assert workflow["root"] == {"*": {"root": {"script": "true"}}}
    assert workflow["none"] == {}
    assert got["task"] == {"meta": {"title": "Task A", "userDefined": {"n": 1}}}


def test_state_totals_and_latest_state_tasks():
    store = make_store()
    result, context = run(
        store,
        '{ workflows { stateTotals latestStateTasks some: latestStateTasks(states: ["running", "failed"]) } '
        f'familyProxy(id: "{WF}//1/root") {{ stateTotals }} }}',
    )
    got = data(result, context)
    (workflow,) = got["workflows"]
    assert workflow["stateTotals"] == {"running": 1, "waiting": 2}
    assert workflow["latestStateTasks"] == {"waiting": ["2/a", "1/b"], "running": ["1/a"]}
    assert workflow["some"] == {"running": ["1/a"]}
    assert got["familyProxy"] == {"stateTotals": {"running": 1, "waiting": 1}}


def test_outputs_filters_sorting_and_limit():
    store = make_store()
    proxy = _proxy(
        store,
        "all: outputs { label satisfied time } "
        "done: outputs(satisfied: true) { label } "
        "todo: outputs(satisfied: false) { label } "
        "first: outputs(limit: 2) { label } "
        'byTime: outputs(sort: {keys: ["time"], reverse: true}) { label } '
        'custom: outputs(sortOrder: ["failed", "started"]) { label } '
        "xtriggers { id label satisfied } externalTriggers { id }",
    )
    labels = lambda key: [o["label"] for o in proxy[key]]  # noqa: E731
    # Default order: expired, submitted, submit-failed, started, succeeded, failed.
    assert labels("all") == ["submitted", "started", "succeeded", "failed"]
    assert proxy["all"][0] == {"label": "submitted", "satisfied": True, "time": 1.0}
    assert labels("done") == ["submitted", "started"]
    assert labels("todo") == ["succeeded", "failed"]
    assert labels("first") == ["submitted", "started"]
    assert labels("byTime")[:2] == ["started", "submitted"]
    assert labels("custom")[:2] == ["failed", "started"]
    assert proxy["xtriggers"] == [
        {"id": "wall_clock(trigger_time=1)", "label": "clock", "satisfied": True}
    ]
    assert proxy["externalTriggers"] == []


def test_prerequisites_and_conditions():
    store = make_store()
    proxy = _proxy(
        store,
        "prerequisites { expression satisfied cyclePoints conditions { taskId exprAlias reqState "
        "satisfied message taskProxy { id state } } }",
        proxy="1/b",
    )
    assert proxy["prerequisites"] == [
        {
            "expression": "0", "satisfied": False, "cyclePoints": ["1"],
            "conditions": [
                {
                    "taskId": "1/a", "exprAlias": "0", "reqState": "succeeded", "satisfied": False,
                    "message": "unsatisfied",
                    "taskProxy": {"id": f"{WF}//1/a", "state": "running"},
                }
            ],
        }
    ]


def test_task_proxy_relations():
    store = make_store()
    proxy = _proxy(
        store,
        "task { id name } firstParent { id } parents { id } ancestors { id name } "
        "jobs { id taskProxy { id } } running: jobs(states: [\"succeeded\"]) { id }",
        proxy="1/b",
    )
    assert proxy == {
        "task": {"id": ns("b"), "name": "b"},
        "firstParent": {"id": f"{WF}//1/FAM"},
        "parents": [{"id": f"{WF}//1/FAM"}],
        "ancestors": [{"id": f"{WF}//1/FAM", "name": "FAM"}, {"id": f"{WF}//1/root", "name": "root"}],
        "jobs": [],
        "running": [],
    }
    proxy = _proxy(store, "jobs { id taskProxy { id } } firstParent { id }")
    assert proxy == {
        "jobs": [{"id": f"{WF}//1/a/01", "taskProxy": {"id": f"{WF}//1/a"}}],
        "firstParent": {"id": f"{WF}//1/root"},
    }
    # 2/a's first parent 2/root is not in the store: null, not an error.
    assert _proxy(store, "firstParent { id } ancestors { id }", proxy="2/a") == {
        "firstParent": None, "ancestors": [],
    }


def test_family_and_definition_relations():
    store = make_store()
    result, context = run(
        store,
        f'{{ familyProxy(id: "{WF}//1/root") {{ family {{ id }} childTasks {{ id }} '
        "childFamilies { id firstParent { id } ancestors { id } childTasks { name } } "
        'held: childFamilies(isHeld: false) { id } } '
        f'family(id: "{ns("root")}") {{ childTasks {{ id }} childFamilies {{ id parents {{ id }} '
        "firstParent { id } childTasks { name proxies { id } } } proxies { id } } "
        f'task(id: "{ns("a")}") {{ proxies {{ id }} parents {{ id }} firstParent {{ name }} '
        'p1: proxies(ids: ["2/*"]) { id } } }',
    )
    got = data(result, context)
    assert got["familyProxy"] == {
        "family": {"id": ns("root")},
        "childTasks": [{"id": f"{WF}//1/a"}],
        "childFamilies": [
            {"id": f"{WF}//1/FAM", "firstParent": {"id": f"{WF}//1/root"},
             "ancestors": [{"id": f"{WF}//1/root"}], "childTasks": [{"name": "b"}]}
        ],
        "held": [],
    }
    assert got["family"] == {
        "childTasks": [{"id": ns("a")}],
        "childFamilies": [
            {"id": ns("FAM"), "parents": [{"id": ns("root")}], "firstParent": {"id": ns("root")},
             "childTasks": [{"name": "b", "proxies": [{"id": f"{WF}//1/b"}]}]}
        ],
        "proxies": [{"id": f"{WF}//1/root"}],
    }
    assert got["task"] == {
        "proxies": [{"id": f"{WF}//1/a"}, {"id": f"{WF}//2/a"}],
        "parents": [{"id": ns("root")}],
        "firstParent": {"name": "root"},
        "p1": [{"id": f"{WF}//2/a"}],
    }


def test_workflow_relations_and_edges():
    store = make_store()
    replica = store.get(WF)
    # An edge to a family proxy, and one whose target is missing.
    family_edge = f"{WF}//$edge|1/a|1/FAM"
    replica.elements["edges"][family_edge] = PbEdge(
        id=family_edge, source=f"{WF}//1/a", target=f"{WF}//1/FAM"
    )
    replica.workflow.edges.edges.append(family_edge)
    replica.workflow.edges.edges.append(f"{WF}//$edge|1/a|9/gone")
    result, context = run(
        store,
        "{ workflows { tasks { id } families { id } taskProxies { id } familyProxies { id } "
        'jobs { id } held: taskProxies(isHeld: true) { id } waiting: taskProxies(states: ["waiting"]) { id } '
        "edges { leaves feet edges { id source target sourceNode { __typename ... on TaskProxy { name } } "
        "targetNode { __typename ... on TaskProxy { name } ... on FamilyProxy { name state } } } } "
        "nodesEdges(ids: [\"1/a\"]) { nodes { id } edges { id } } } }",
    )
    (workflow,) = data(result, context)["workflows"]
    assert [t["id"] for t in workflow["tasks"]] == [ns("a"), ns("b")]
    assert [f["id"] for f in workflow["families"]] == [ns("root"), ns("FAM")]
    assert [p["id"] for p in workflow["taskProxies"]] == [f"{WF}//1/a", f"{WF}//1/b", f"{WF}//2/a"]
    assert [p["id"] for p in workflow["familyProxies"]] == [f"{WF}//1/root", f"{WF}//1/FAM"]
    assert workflow["jobs"] == [{"id": f"{WF}//1/a/01"}]
    assert workflow["held"] == [{"id": f"{WF}//1/b"}]
    assert workflow["waiting"] == [{"id": f"{WF}//1/b"}, {"id": f"{WF}//2/a"}]
    edges = workflow["edges"]
    assert edges["leaves"] == ["b"] and edges["feet"] == []
    assert edges["edges"] == [
        {"id": f"{WF}//$edge|1/a|1/b", "source": f"{WF}//1/a", "target": f"{WF}//1/b",
         "sourceNode": {"__typename": "TaskProxy", "name": "a"},
         "targetNode": {"__typename": "TaskProxy", "name": "b"}},
        {"id": f"{WF}//$edge|1/a|1/FAM", "source": f"{WF}//1/a", "target": f"{WF}//1/FAM",
         "sourceNode": {"__typename": "TaskProxy", "name": "a"},
         "targetNode": {"__typename": "FamilyProxy", "name": "FAM", "state": "waiting"}},
    ]
    assert workflow["nodesEdges"] == {
        "nodes": [{"id": f"{WF}//1/a"}, {"id": f"{WF}//1/b"}],
        "edges": [{"id": f"{WF}//$edge|1/a|1/b"}],
    }


def test_partial_elements_follow_relations_through_the_live_store():
    store = make_store()
    frame = DeltaFrame(
        workflow_id=WF,
        updated={
            "family_proxies": [PbFamilyProxy(id=f"{WF}//1/FAM", state="running")],
            # An update of a relationship list carries only the new ids.
            "task_proxies": [PbTaskProxy(id=f"{WF}//1/a", jobs=[f"{WF}//1/a/01"])],
            "workflow": [PbWorkflow(id=WF, status="paused")],
        },
    )
    result, context = run(
        store,
        "subscription { deltas { updated(stripNull: true) { "
        "familyProxies { id state childTasks { id } firstParent { id } family { name } } "
        "taskProxies { id jobs { id } task { name } } "
        "workflow { id status taskProxies { id } edges { edges { id } } } } } }",
        root=frame,
    )
    updated = data(result, context)["deltas"]["updated"]
    assert updated["familyProxies"] == [
        {"id": f"{WF}//1/FAM", "state": "running", "childTasks": [{"id": f"{WF}//1/b"}],
         "firstParent": {"id": f"{WF}//1/root"}, "family": {"name": "FAM"}}
    ]
    assert updated["taskProxies"] == [
        {"id": f"{WF}//1/a", "jobs": [{"id": f"{WF}//1/a/01"}], "task": {"name": "a"}}
    ]
    assert updated["workflow"]["status"] == "paused"
    assert len(updated["workflow"]["taskProxies"]) == 3
    assert updated["workflow"]["edges"] == {"edges": [{"id": f"{WF}//$edge|1/a|1/b"}]}


def test_nested_delta_store_reads_the_frame():
    store = make_store()
    # The frame's version of 1/a differs from the live one.
    frame = DeltaFrame(
        workflow_id=WF,
        added={"task_proxies": [PbTaskProxy(id=f"{WF}//1/a", state="failed")]},
        updated={"jobs": [store.get(WF).elements["jobs"][f"{WF}//1/a/01"]]},
    )
    result, context = run(
        store,
        "subscription { deltas { updated { jobs { live: taskProxy { state } "
        "frame: taskProxy(deltaStore: true, deltaType: \"added\") { state } "
        "none: taskProxy(deltaStore: true, deltaType: \"updated\") { state } } } } }",
        root=frame,
    )
    (job,) = data(result, context)["deltas"]["updated"]["jobs"]
    assert job == {"live": {"state": "running"}, "frame": {"state": "failed"}, "none": None}


def test_float_and_json_text_fields():
    store = make_store()
    proxy = _proxy(store, "flowNums task { meanElapsedTime }")
    assert proxy == {"flowNums": "[1]", "task": {"meanElapsedTime": 12.5}}
    assert json.loads(proxy["flowNums"]) == [1]


def test_plain_fields_use_the_fast_resolvers():
    from functools import partial

    from graphql import GraphQLObjectType

    from uiserver.graphql.resolvers import bound_field_resolver, proto_field_resolver
    from uiserver.graphql.schema import graphql_schema

    slow = [
        f"{type_.name}.{name}"
        for type_ in graphql_schema.type_map.values()
        if isinstance(type_, GraphQLObjectType)
        for name, field in type_.fields.items()
        if isinstance(field.resolve, partial)
        and field.resolve.func in (proto_field_resolver, bound_field_resolver)
    ]
    assert slow == []
    assert graphql_schema.type_map["TaskProxy"].fields["state"].resolve.__qualname__.startswith(
        "_field_resolver"
    )
