"""A large synthetic workflow (thousands of task proxies) for timing resolution."""

from __future__ import annotations

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

from tests.ui_documents import WORKFLOW_SUBSCRIPTION as WORKFLOW_DOCUMENT

WF = "~u/big"



def big_workflow(cycles: int = 800, tasks_per_cycle: int = 10) -> PbEntireWorkflow:
    """``cycles`` x ``tasks_per_cycle`` task proxies in family FAM, a job for every other one."""
    names = [f"t{i}" for i in range(tasks_per_cycle)]

    def ns(name: str) -> str:
        return f"{WF}//$namespace|{name}"

    entire = PbEntireWorkflow()
    entire.workflow.CopyFrom(
        PbWorkflow(id=WF, name="big", owner="u", status="running", status_msg="running",
                   n_edge_distance=1, cylc_version="8.5.4")
    )
    entire.families.append(PbFamily(id=ns("root"), name="root", depth=0, child_families=[ns("FAM")]))
    entire.families.append(PbFamily(id=ns("FAM"), name="FAM", depth=1, first_parent=ns("root"),
                                    child_tasks=[ns(n) for n in names]))
    for name in names:
        entire.tasks.append(PbTask(id=ns(name), name=name, depth=2, mean_elapsed_time=30.0,
                                   first_parent=ns("FAM"), namespace=["root", "FAM", name]))
    for cycle in range(1, cycles + 1):
        root_id, fam_id = f"{WF}//{cycle}/root", f"{WF}//{cycle}/FAM"
        entire.family_proxies.append(PbFamilyProxy(
            id=root_id, name="root", cycle_point=str(cycle), state="running", depth=0,
            child_families=[fam_id]))
        entire.family_proxies.append(PbFamilyProxy(
            id=fam_id, name="FAM", cycle_point=str(cycle), state="running", depth=1,
            first_parent=root_id, ancestors=[root_id],
            child_tasks=[f"{WF}//{cycle}/{n}" for n in names]))
        for index, name in enumerate(names):
            proxy_id = f"{WF}//{cycle}/{name}"
            proxy = PbTaskProxy(
                id=proxy_id, task=ns(name), name=name, cycle_point=str(cycle),
                state="running" if index % 2 else "waiting", depth=2, graph_depth=0,
                first_parent=fam_id, ancestors=[fam_id, root_id], flow_nums="[1]",
                is_held=False, is_queued=False, is_runahead=False, is_retry=False,
                is_wallclock=False, is_xtriggered=False, namespace=["root", "FAM", name],
            )
            proxy.runtime.run_mode = "live"
            for label in ("submitted", "started", "succeeded"):
                output = proxy.outputs[label]
                output.label, output.message, output.satisfied = label, label, label != "succeeded"
            if index % 2:
                job_id = f"{proxy_id}/01"
                proxy.jobs.append(job_id)
                entire.jobs.append(PbJob(
                    id=job_id, submit_num=1, state="running", name=name, cycle_point=str(cycle),
                    task_proxy=proxy_id, job_id="123", job_runner_name="background",
                    platform="localhost", submitted_time="2000-01-01T00:00:00Z",
                    started_time="2000-01-01T00:00:01Z", messages=["started"]))
            if index:
                edge_id = f"{WF}//$edge|{cycle}/{names[index - 1]}|{cycle}/{name}"
                proxy.edges.append(edge_id)
                entire.edges.append(PbEdge(id=edge_id, source=f"{WF}//{cycle}/{names[index - 1]}",
                                           target=proxy_id))
            entire.task_proxies.append(proxy)
    return entire
