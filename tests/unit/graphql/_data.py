"""A small workflow replica built from protobuf messages, shared by the schema tests."""

from __future__ import annotations

import json
from typing import Any

from graphql import ExecutionResult, execute, parse

from uiserver.graphql.context import ResolveContext
from uiserver.graphql.schema import graphql_schema
from uiserver.graphql.strip import document_strips_nulls, strip_nulls
from uiserver.scheduler.messages import (
    PbEdge,
    PbEntireWorkflow,
    PbFamily,
    PbFamilyProxy,
    PbJob,
    PbTask,
    PbTaskProxy,
    PbWorkflow,
)
from uiserver.store import Store

WF = "~u/wf"


def ns(name: str) -> str:
    return f"{WF}//$namespace|{name}"


def entire_workflow() -> PbEntireWorkflow:
    """``root`` > ``FAM`` > ``b``; ``root`` > ``a``; proxies 1/a, 1/b, 2/a; job 1/a/01; edge 1/a -> 1/b."""
    runtime = {
        "platform": "localhost",
        "script": "echo hi",
        "directives": json.dumps([{"key": "--mem", "value": "1G"}]),
        "environment": json.dumps([{"key": "X", "value": "1"}, {"key": "Y", "value": "2"}]),
        "outputs": "[]",
        "run_mode": "live",
    }
    workflow = PbWorkflow(
        id=WF, name="wf", owner="u", status="running", status_msg="running", host="h",
        port=43001, pub_port=43002, api_version=5, cylc_version="8.5.4", last_updated=10.5,
        tasks=[ns("a"), ns("b")], families=[ns("root"), ns("FAM")],
        task_proxies=[f"{WF}//1/a", f"{WF}//1/b", f"{WF}//2/a"],
        family_proxies=[f"{WF}//1/root", f"{WF}//1/FAM"],
        jobs=[f"{WF}//1/a/01"],
        ns_def_order=["root", "FAM", "a", "b"],
        job_log_names=["job.out"],
        states=["running", "waiting"],
        state_totals={"running": 1, "waiting": 2},
        is_held_total=1,
        broadcasts=json.dumps({"1": {"a": {"environment": {"X": "2"}}}, "*": {"root": {"script": "true"}}}),
        n_edge_distance=1,
        meta={"title": "A workflow", "URL": "https://example.org", "user_defined": '{"owner": "me"}'},
        time_zone_info={"hours": 0, "minutes": 0, "string_basic": "Z", "string_extended": "Z"},
        log_records=[{"level": "WARNING", "message": "careful"}],
    )
    workflow.edges.edges.append(f"{WF}//$edge|1/a|1/b")
    workflow.edges.leaves.append("b")
    workflow.latest_state_tasks["running"].task_proxies.append("1/a")
    workflow.latest_state_tasks["waiting"].task_proxies.extend(["2/a", "1/b"])
    tasks = [
        PbTask(id=ns("a"), name="a", depth=1, namespace=["root", "a"], parents=[ns("root")],
               first_parent=ns("root"), proxies=[f"{WF}//1/a", f"{WF}//2/a"],
               mean_elapsed_time=12.5, meta={"title": "Task A", "user_defined": '{"n": 1}'},
               runtime=runtime),
        PbTask(id=ns("b"), name="b", depth=2, namespace=["root", "FAM", "b"], parents=[ns("FAM")],
               first_parent=ns("FAM"), proxies=[f"{WF}//1/b"]),
    ]
    families = [
        PbFamily(id=ns("root"), name="root", depth=0, child_tasks=[ns("a")],
                 child_families=[ns("FAM")], proxies=[f"{WF}//1/root"]),
        PbFamily(id=ns("FAM"), name="FAM", depth=1, parents=[ns("root")], first_parent=ns("root"),
                 child_tasks=[ns("b")], proxies=[f"{WF}//1/FAM"]),
    ]
    a1 = PbTaskProxy(
        id=f"{WF}//1/a", task=ns("a"), name="a", cycle_point="1", state="running", depth=1,
        graph_depth=0, job_submits=1, namespace=["root", "a"], first_parent=f"{WF}//1/root",
        ancestors=[f"{WF}//1/root"], jobs=[f"{WF}//1/a/01"], edges=[f"{WF}//$edge|1/a|1/b"],
        flow_nums="[1]", is_held=False, is_queued=False, is_runahead=False, runtime=runtime,
    )
    a1.outputs["submitted"].CopyFrom(_output("submitted", True, 1.0))
    a1.outputs["started"].CopyFrom(_output("started", True, 2.0))
    a1.outputs["succeeded"].CopyFrom(_output("succeeded", False, 0.0))
    a1.outputs["failed"].CopyFrom(_output("failed", False, 0.0))
    a1.xtriggers["clock=wall_clock()"].id = "wall_clock(trigger_time=1)"
    a1.xtriggers["clock=wall_clock()"].label = "clock"
    a1.xtriggers["clock=wall_clock()"].satisfied = True
    b1 = PbTaskProxy(
        id=f"{WF}//1/b", task=ns("b"), name="b", cycle_point="1", state="waiting", depth=2,
        graph_depth=1, namespace=["root", "FAM", "b"], first_parent=f"{WF}//1/FAM",
        ancestors=[f"{WF}//1/FAM", f"{WF}//1/root"], edges=[f"{WF}//$edge|1/a|1/b"],
        flow_nums="[1]", is_held=True,
    )
    prerequisite = b1.prerequisites.add(expression="0", satisfied=False, cycle_points=["1"])
    prerequisite.conditions.add(task_proxy="1/a", expr_alias="0", req_state="succeeded",
                                satisfied=False, message="unsatisfied")
    a2 = PbTaskProxy(
        id=f"{WF}//2/a", task=ns("a"), name="a", cycle_point="2", state="waiting", depth=1,
        graph_depth=1, namespace=["root", "a"], first_parent=f"{WF}//2/root", flow_nums="[1]",
        is_held=False, is_queued=True,
    )
    family_proxies = [
        PbFamilyProxy(id=f"{WF}//1/root", name="root", cycle_point="1", family=ns("root"),
                      state="running", depth=0, child_tasks=[f"{WF}//1/a"],
                      child_families=[f"{WF}//1/FAM"], state_totals={"running": 1, "waiting": 1},
                      states=["running", "waiting"]),
        PbFamilyProxy(id=f"{WF}//1/FAM", name="FAM", cycle_point="1", family=ns("FAM"),
                      state="waiting", depth=1, first_parent=f"{WF}//1/root",
                      ancestors=[f"{WF}//1/root"], child_tasks=[f"{WF}//1/b"], is_held=True),
    ]
    jobs = [
        PbJob(id=f"{WF}//1/a/01", submit_num=1, state="running", name="a", cycle_point="1",
              task_proxy=f"{WF}//1/a", job_id="1234", job_runner_name="background",
              platform="localhost", submitted_time="2000-01-01T00:00:00Z",
              started_time="2000-01-01T00:00:01Z", messages=["started"]),
    ]
    edges = [PbEdge(id=f"{WF}//$edge|1/a|1/b", source=f"{WF}//1/a", target=f"{WF}//1/b")]
    return PbEntireWorkflow(
        workflow=workflow, tasks=tasks, families=families, task_proxies=[a1, b1, a2],
        family_proxies=family_proxies, jobs=jobs, edges=edges,
    )


def _output(label: str, satisfied: bool, time: float):
    from uiserver.scheduler.data_messages_pb2 import PbOutput

    return PbOutput(label=label, message=label, satisfied=satisfied, time=time)


def make_store(*extra_workflows: str) -> Store:
    """A store holding ``~u/wf`` (see :func:`entire_workflow`) and empty extra workflows."""
    store = Store()
    store.ensure(WF).load_snapshot(entire_workflow())
    for workflow_id in extra_workflows:
        replica = store.ensure(workflow_id)
        replica.workflow.status = "stopped"
        replica.workflow.name = workflow_id.split("/", 1)[1]
    return store


def run(
    store: Store,
    query: str,
    variables: dict[str, Any] | None = None,
    root: Any = None,
    commands: Any = None,
    registry: Any = None,
    strip: bool | None = None,
) -> tuple[ExecutionResult, ResolveContext]:
    """Execute ``query`` as the executor does (strip decided from the document)."""
    document = parse(query)
    strip = document_strips_nulls(document, variables) if strip is None else strip
    context = ResolveContext(
        store=store,
        owner="u",
        user="someone",
        commands=commands,
        registry=registry,
        strip_null=strip,
        strip_result=strip,
    )
    result = execute(
        graphql_schema, document, root_value=root, context_value=context, variable_values=variables
    )
    return result, context


async def run_async(store: Store, query: str, **kwargs: Any) -> tuple[ExecutionResult, ResolveContext]:
    result, context = run(store, query, **kwargs)
    if not isinstance(result, ExecutionResult):
        result = await result
    return result, context


def data(result: ExecutionResult, context: ResolveContext) -> Any:
    """The response data as the executor would send it."""
    assert result.errors is None, result.errors
    return strip_nulls(result.data) if context.strip_result else result.data
