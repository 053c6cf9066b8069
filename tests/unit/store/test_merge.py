"""Merge rules (protocol §6.5) and back-reference pruning (§6.6)."""

from __future__ import annotations

import pytest

from uiserver.scheduler.messages import (
    PbEdge,
    PbFamily,
    PbFamilyProxy,
    PbJob,
    PbTask,
    PbTaskProxy,
    PbWorkflow,
)
from uiserver.store import WorkflowReplica, merge_update, prune_back_references
from uiserver.store.merge import dedupe_ids, remove_ids


# -- clear-list fields ------------------------------------------------------

def test_job_messages_replaced_when_present() -> None:
    job = PbJob(id="j", messages=["a", "b"], state="submitted")
    merge_update("jobs", job, PbJob(id="j", messages=["a", "b", "c"]))
    assert list(job.messages) == ["a", "b", "c"]
    merge_update("jobs", job, PbJob(id="j", state="running"))
    assert list(job.messages) == ["a", "b", "c"]
    assert job.state == "running"


def test_task_proxy_prerequisites_replaced_when_present() -> None:
    proxy = PbTaskProxy(id="p")
    proxy.prerequisites.add(expression="0")
    proxy.prerequisites.add(expression="1")
    update = PbTaskProxy(id="p")
    update.prerequisites.add(expression="0 & 1", satisfied=True)
    merge_update("task_proxies", proxy, update)
    assert [p.expression for p in proxy.prerequisites] == ["0 & 1"]
    merge_update("task_proxies", proxy, PbTaskProxy(id="p", state="running"))
    assert len(proxy.prerequisites) == 1


def test_family_proxy_states_and_totals_replaced_when_present() -> None:
    family = PbFamilyProxy(id="f", states=["waiting", "running"])
    family.state_totals["waiting"] = 1
    family.state_totals["running"] = 1
    update = PbFamilyProxy(id="f", states=["succeeded"])
    update.state_totals["succeeded"] = 2
    merge_update("family_proxies", family, update)
    assert list(family.states) == ["succeeded"]
    assert dict(family.state_totals) == {"succeeded": 2}
    merge_update("family_proxies", family, PbFamilyProxy(id="f", state="succeeded"))
    assert list(family.states) == ["succeeded"]
    assert dict(family.state_totals) == {"succeeded": 2}


def _workflow_with_states() -> PbWorkflow:
    workflow = PbWorkflow(id="w", states=["waiting"], status="running")
    workflow.state_totals["waiting"] = 3
    workflow.latest_state_tasks["waiting"].task_proxies.extend(["1/a", "1/b"])
    return workflow


def test_workflow_state_fields_replaced_when_present() -> None:
    workflow = _workflow_with_states()
    update = PbWorkflow(id="w", states=["running"])
    update.state_totals["running"] = 1
    update.latest_state_tasks["running"].task_proxies.append("1/a")
    merge_update("workflow", workflow, update)
    assert list(workflow.states) == ["running"]
    assert dict(workflow.state_totals) == {"running": 1}
    assert list(workflow.latest_state_tasks) == ["running"]

    workflow = _workflow_with_states()
    merge_update("workflow", workflow, PbWorkflow(id="w", states=["running"]))
    assert list(workflow.states) == ["running"]
    # Absent clear-list fields are kept.
    assert dict(workflow.state_totals) == {"waiting": 3}
    assert list(workflow.latest_state_tasks["waiting"].task_proxies) == ["1/a", "1/b"]


def test_states_updated_clears_absent_state_fields() -> None:
    workflow = _workflow_with_states()
    merge_update("workflow", workflow, PbWorkflow(id="w", states_updated=True))
    assert list(workflow.states) == []
    assert dict(workflow.state_totals) == {}
    assert len(workflow.latest_state_tasks) == 0
    assert workflow.status == "running"


@pytest.mark.parametrize("type_name,cls", [("tasks", PbTask), ("families", PbFamily)])
def test_definitions_have_no_clear_list(type_name: str, cls: type) -> None:
    element = cls(id="t", parents=["x"])
    merge_update(type_name, element, cls(id="t", parents=["y"]))
    assert list(element.parents) == ["x", "y"]


# -- plain MergeFrom semantics ---------------------------------------------

def test_map_entries_replaced_per_key_and_message_values_whole() -> None:
    proxy = PbTaskProxy(id="p")
    proxy.outputs["started"].label = "started"
    proxy.outputs["started"].message = "started"
    proxy.outputs["started"].satisfied = True
    proxy.outputs["succeeded"].label = "succeeded"
    proxy.xtriggers["x=f()"].id = "f()"
    proxy.xtriggers["x=f()"].label = "x"
    update = PbTaskProxy(id="p")
    update.outputs["started"].satisfied = False
    update.xtriggers["x=f()"].satisfied = True
    merge_update("task_proxies", proxy, update)
    started = proxy.outputs["started"]
    assert started.HasField("satisfied") and not started.satisfied
    # The whole value was replaced: fields absent from the update are gone.
    assert not started.HasField("label") and not started.HasField("message")
    assert proxy.outputs["succeeded"].label == "succeeded"
    assert proxy.xtriggers["x=f()"].satisfied
    assert not proxy.xtriggers["x=f()"].HasField("label")


def test_explicit_defaults_overwrite() -> None:
    proxy = PbTaskProxy(id="p", is_held=True, job_submits=3, flow_nums="[1]", state="running")
    merge_update(
        "task_proxies", proxy, PbTaskProxy(id="p", is_held=False, job_submits=0, flow_nums="")
    )
    assert proxy.HasField("is_held") and proxy.is_held is False
    assert proxy.HasField("job_submits") and proxy.job_submits == 0
    assert proxy.HasField("flow_nums") and proxy.flow_nums == ""
    assert proxy.state == "running"


def test_repeated_fields_append_and_sub_messages_merge() -> None:
    proxy = PbTaskProxy(id="p", ancestors=["f"], jobs=["j1"])
    proxy.runtime.platform = "localhost"
    update = PbTaskProxy(id="p", ancestors=["f"], jobs=["j2"])
    update.runtime.script = "true"
    merge_update("task_proxies", proxy, update)
    # ancestors is not a relationship list: plain append, duplicates kept.
    assert list(proxy.ancestors) == ["f", "f"]
    assert list(proxy.jobs) == ["j1", "j2"]
    assert proxy.runtime.platform == "localhost" and proxy.runtime.script == "true"


def test_log_records_capped_at_ten() -> None:
    workflow = PbWorkflow(id="w")
    for i in range(8):
        workflow.log_records.add(level="WARNING", message=str(i))
    update = PbWorkflow(id="w")
    for i in range(8, 13):
        update.log_records.add(level="ERROR", message=str(i))
    merge_update("workflow", workflow, update)
    assert [r.message for r in workflow.log_records] == [str(i) for i in range(3, 13)]


# -- de-duplication --------------------------------------------------------

@pytest.mark.parametrize(
    "type_name,cls,fields",
    [
        ("workflow", PbWorkflow, ("tasks", "families", "task_proxies", "family_proxies", "jobs")),
        ("tasks", PbTask, ("proxies",)),
        ("families", PbFamily, ("proxies",)),
        ("task_proxies", PbTaskProxy, ("jobs", "edges")),
        ("family_proxies", PbFamilyProxy, ("child_tasks", "child_families")),
    ],
)
def test_relationship_lists_deduplicated(type_name: str, cls: type, fields: tuple) -> None:
    target = cls(id="x", **{name: ["a", "b"] for name in fields})
    update = cls(id="x", **{name: ["b", "c", "c", "a", "d"] for name in fields})
    merge_update(type_name, target, update)
    merge_update(type_name, target, update)  # re-applied: still no duplicates
    for name in fields:
        assert list(getattr(target, name)) == ["a", "b", "c", "d"], name


def test_workflow_edge_list_deduplicated() -> None:
    workflow = PbWorkflow(id="w")
    workflow.edges.edges.extend(["e1", "e2"])
    update = PbWorkflow(id="w")
    update.edges.edges.extend(["e2", "e3"])
    merge_update("workflow", workflow, update)
    assert list(workflow.edges.edges) == ["e1", "e2", "e3"]


def test_dedup_only_for_lists_the_update_carried() -> None:
    proxy = PbTaskProxy(id="p", jobs=["j", "j"], edges=["e", "e"])
    merge_update("task_proxies", proxy, PbTaskProxy(id="p", edges=["f"]))
    assert list(proxy.jobs) == ["j", "j"]
    assert list(proxy.edges) == ["e", "f"]


def test_list_helpers() -> None:
    proxy = PbTaskProxy(jobs=["a", "b", "a", "c", "b", "d", "d"])
    dedupe_ids(proxy.jobs)
    assert list(proxy.jobs) == ["a", "b", "c", "d"]
    proxy.jobs.extend(["e", "a"])
    remove_ids(proxy.jobs, {"a", "c", "d", "x"})
    assert list(proxy.jobs) == ["b", "e"]
    remove_ids(proxy.jobs, set())
    assert list(proxy.jobs) == ["b", "e"]


# -- back-references -------------------------------------------------------

W = "~u/w"


def _store() -> WorkflowReplica:
    replica = WorkflowReplica(W)
    replica.workflow.task_proxies.extend(["p1", "p2"])
    replica.workflow.family_proxies.extend(["f1", "f2"])
    replica.workflow.jobs.extend(["j1", "j2"])
    replica.workflow.edges.edges.extend(["e1", "e2"])
    e = replica.elements
    e["tasks"]["t"] = PbTask(id="t", proxies=["p1", "p2"])
    e["families"]["F"] = PbFamily(id="F", proxies=["f1", "f2"])
    e["family_proxies"]["f1"] = PbFamilyProxy(
        id="f1", family="F", child_tasks=["p1", "p2"], child_families=["f2"]
    )
    e["family_proxies"]["f2"] = PbFamilyProxy(id="f2", family="F", first_parent="f1")
    e["task_proxies"]["p1"] = PbTaskProxy(
        id="p1", task="t", first_parent="f1", edges=["e1"], jobs=["j1"]
    )
    e["task_proxies"]["p2"] = PbTaskProxy(
        id="p2", task="t", first_parent="f1", edges=["e1", "e2"]
    )
    e["edges"]["e1"] = PbEdge(id="e1", source="p1", target="p2")
    e["edges"]["e2"] = PbEdge(id="e2", source="p2", target="gone")
    e["jobs"]["j1"] = PbJob(id="j1", task_proxy="p1")
    return replica


def test_prune_task_proxy_back_references() -> None:
    store = _store()
    prune_back_references("task_proxies", store.elements["task_proxies"]["p1"], store)
    assert list(store.elements["tasks"]["t"].proxies) == ["p2"]
    assert list(store.elements["family_proxies"]["f1"].child_tasks) == ["p2"]
    assert list(store.workflow.task_proxies) == ["p2"]


def test_prune_family_proxy_back_references() -> None:
    store = _store()
    prune_back_references("family_proxies", store.elements["family_proxies"]["f2"], store)
    assert list(store.elements["families"]["F"].proxies) == ["f1"]
    assert list(store.elements["family_proxies"]["f1"].child_families) == []
    assert list(store.workflow.family_proxies) == ["f1"]
    # f1 has no first parent: the lookup of "" is skipped.
    prune_back_references("family_proxies", store.elements["family_proxies"]["f1"], store)
    assert list(store.workflow.family_proxies) == []
    assert list(store.elements["families"]["F"].proxies) == []


def test_prune_edge_back_references() -> None:
    store = _store()
    prune_back_references("edges", store.elements["edges"]["e1"], store)
    assert list(store.elements["task_proxies"]["p1"].edges) == []
    assert list(store.elements["task_proxies"]["p2"].edges) == ["e2"]
    assert list(store.workflow.edges.edges) == ["e2"]
    # A missing target proxy is ignored.
    prune_back_references("edges", store.elements["edges"]["e2"], store)
    assert list(store.elements["task_proxies"]["p2"].edges) == []
    assert list(store.workflow.edges.edges) == []


def test_prune_job_back_references() -> None:
    store = _store()
    prune_back_references("jobs", store.elements["jobs"]["j1"], store)
    assert list(store.workflow.jobs) == ["j2"]
    # Jobs are not removed from their proxy (they go together).
    assert list(store.elements["task_proxies"]["p1"].jobs) == ["j1"]


def test_prune_with_missing_owners_is_ignored() -> None:
    store = WorkflowReplica(W)
    prune_back_references("task_proxies", PbTaskProxy(id="p", task="t", first_parent="f"), store)
    prune_back_references("edges", PbEdge(id="e", source="a", target="b"), store)
    prune_back_references("tasks", PbTask(id="t"), store)
    assert not store.workflow.HasField("edges")
