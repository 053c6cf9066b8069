"""Query argument filters over real protobuf elements."""

from __future__ import annotations

import time

import pytest

from uiserver.graphql.filters import (
    filter_nodes,
    match_workflows,
    nodes_edges,
    relative_id,
    sort_elements,
    to_snake_case,
    workflow_id_of,
)
from uiserver.scheduler.messages import (
    PbEdge,
    PbFamily,
    PbFamilyProxy,
    PbJob,
    PbTask,
    PbTaskProxy,
)
from uiserver.store import WorkflowReplica

W = "~u/a/b/run1"


def tp(rel: str, state: str = "waiting", wf: str = W, **kw) -> PbTaskProxy:
    cycle, name = rel.split("/")
    return PbTaskProxy(
        id=f"{wf}//{rel}", name=name, cycle_point=cycle, state=state, **kw
    )


def job(rel: str, state: str = "succeeded", wf: str = W, **kw) -> PbJob:
    cycle, name, nn = rel.split("/")
    return PbJob(
        id=f"{wf}//{rel}", name=name, cycle_point=cycle, state=state,
        submit_num=int(nn), **kw,
    )


def ids_of(elements) -> list[str]:
    return [relative_id(e.id) for e in elements]


# ------------------------------------------------------------- id helpers


def test_id_helpers() -> None:
    assert workflow_id_of("~u/a/b/run1//1/x/01") == "~u/a/b/run1"
    assert workflow_id_of("~u/a/b/run1") == "~u/a/b/run1"
    assert relative_id("~u/a/b/run1//1/x/01") == "1/x/01"
    assert relative_id("~u/a/b/run1") == ""
    assert relative_id("~u/w//$namespace|FAM") == "$namespace|FAM"


def test_to_snake_case() -> None:
    assert to_snake_case("cyclePoint") == "cycle_point"
    assert to_snake_case("isHeld") == "is_held"
    assert to_snake_case("id") == "id"
    assert to_snake_case("cycle_point") == "cycle_point"
    assert to_snake_case("jobLogDir") == "job_log_dir"


# ------------------------------------------------------------- workflows

WORKFLOWS = ["~u/a/b/run1", "~u/a/b/run2", "~u/c", "~v/c", "~u/d/run1"]
STATUS = {"~u/a/b/run1": "running", "~u/a/b/run2": "stopped", "~u/c": "paused",
          "~v/c": "running", "~u/d/run1": "running"}


def mw(workflows, exworkflows=(), ids=WORKFLOWS):
    return match_workflows(ids, list(workflows), list(exworkflows), STATUS.__getitem__)


def test_workflows_empty_means_all_in_order() -> None:
    assert mw([]) == WORKFLOWS
    assert mw([], ids=reversed(WORKFLOWS)) == list(reversed(WORKFLOWS))


def test_workflows_name_without_user_matches_any_user() -> None:
    assert mw(["c"]) == ["~u/c", "~v/c"]
    assert mw(["~v/c"]) == ["~v/c"]
    assert mw(["~u"]) == ["~u/a/b/run1", "~u/a/b/run2", "~u/c", "~u/d/run1"]
    assert mw(["~*/c"]) == ["~u/c", "~v/c"]


def test_workflows_nested_names_and_globs() -> None:
    assert mw(["a/b/run1"]) == ["~u/a/b/run1"]
    # fnmatch's * crosses "/"
    assert mw(["a/*"]) == ["~u/a/b/run1", "~u/a/b/run2"]
    assert mw(["*/run1"]) == ["~u/a/b/run1", "~u/d/run1"]
    assert mw(["a/b/run[2-9]"]) == ["~u/a/b/run2"]
    assert mw(["a/b"]) == []  # no prefix matching without a glob
    assert mw(["A/B/RUN1"]) == []  # case-sensitive


def test_workflows_status_selector() -> None:
    assert mw(["*:running"]) == ["~u/a/b/run1", "~v/c", "~u/d/run1"]
    assert mw(["~u/*:running"]) == ["~u/a/b/run1", "~u/d/run1"]
    assert mw(["c:paused"]) == ["~u/c"]
    assert mw(["a/*:stopped", "c:running"]) == ["~u/a/b/run2", "~v/c"]


def test_workflows_status_looked_up_only_when_needed() -> None:
    calls = []

    def status_of(wid: str) -> str:
        calls.append(wid)
        return STATUS[wid]

    assert match_workflows(WORKFLOWS, ["c"], [], status_of) == ["~u/c", "~v/c"]
    assert calls == []
    assert match_workflows(WORKFLOWS, ["c:running", "*:running"], ["*:running"], status_of) == []
    # once per workflow even with several selector patterns
    assert sorted(calls) == sorted(WORKFLOWS)


def test_exworkflows() -> None:
    assert mw([], ["a/*"]) == ["~u/c", "~v/c", "~u/d/run1"]
    assert mw(["*"], ["*:running"]) == ["~u/a/b/run2", "~u/c"]
    assert mw(["c"], ["~v/*"]) == ["~u/c"]
    assert mw([""]) == []  # an empty pattern matches nothing
    assert mw([], [""]) == WORKFLOWS


def test_workflow_pattern_with_node_part_uses_workflow_part() -> None:
    assert mw(["~u/c//1/a"]) == ["~u/c"]


# ------------------------------------------------------------- task proxies

PROXIES = [
    tp("1/a", "succeeded", depth=1, graph_depth=0),
    tp("1/b", "running", is_held=True, depth=2, graph_depth=0),
    tp("2/a", "waiting", is_queued=True, depth=1, graph_depth=1),
    tp("2/b", "failed", is_runahead=True, depth=2, graph_depth=2),
    tp("10/abc", "waiting", depth=3, graph_depth=3),
]


def fn(args, elements=PROXIES, type_name="task_proxies", **kw):
    return ids_of(filter_nodes(elements, type_name, args, **kw))


def test_no_filters_returns_input_list_itself() -> None:
    args = {"ids": [], "exids": [], "states": [], "exstates": [], "is_held": None,
            "is_queued": None, "is_runahead": None, "mindepth": -1, "maxdepth": -1,
            "graph_depth": -1, "sort": None}
    assert filter_nodes(PROXIES, "task_proxies", args) is PROXIES
    assert filter_nodes(PROXIES, "task_proxies", {}) is PROXIES
    assert fn({}, elements=iter(PROXIES)) == ids_of(PROXIES)


def test_ids_relative_globs() -> None:
    assert fn({"ids": ["1/a"]}) == ["1/a"]
    assert fn({"ids": ["1"]}) == ["1/a", "1/b"]
    assert fn({"ids": ["*/a"]}) == ["1/a", "2/a"]
    assert fn({"ids": ["1*/a*"]}) == ["1/a", "10/abc"]
    assert fn({"ids": ["1/a", "2/b"]}) == ["1/a", "2/b"]
    assert fn({"ids": ["//2"]}) == ["2/a", "2/b"]
    assert fn({"ids": ["1/?"]}) == ["1/a", "1/b"]
    assert fn({"ids": ["3"]}) == []
    # a pattern with a job part cannot match a task
    assert fn({"ids": ["1/a/01"]}) == []
    # empty id matches nothing
    assert fn({"ids": [""]}) == []
    # whitespace is stripped
    assert fn({"ids": [" 1 / a "]}) == ["1/a"]


def test_ids_full_ids_check_workflow_part() -> None:
    other = tp("1/a", wf="~u/other")
    elements = [*PROXIES, other]
    assert fn({"ids": [f"{W}//1/a"]}, elements) == ["1/a"]
    assert fn({"ids": ["~u/other//1/a"]}, elements) == ["1/a"]
    assert filter_nodes(elements, "task_proxies", {"ids": ["~u/other//1/a"]}) == [other]
    assert fn({"ids": ["~u/a/*//*/b"]}, elements) == ["1/b", "2/b"]
    assert fn({"ids": ["~x/*//1/a"]}, elements) == []
    assert fn({"ids": ["a/b/run1//1/a"]}, elements) == ["1/a"]


def test_ids_state_selector() -> None:
    assert fn({"ids": ["*/*:waiting"]}) == ["2/a", "10/abc"]
    assert fn({"ids": ["*:failed"]}) == ["2/b"]
    assert fn({"ids": ["1/a:running"]}) == []
    assert fn({"exids": ["*/*:waiting"]}) == ["1/a", "1/b", "2/b"]


def test_exids() -> None:
    assert fn({"exids": ["1"]}) == ["2/a", "2/b", "10/abc"]
    assert fn({"ids": ["*/a*"], "exids": ["10/*"]}) == ["1/a", "2/a"]
    assert fn({"exids": [""]}) == ids_of(PROXIES)


def test_invalid_id_raises() -> None:
    with pytest.raises(ValueError):
        filter_nodes(PROXIES, "task_proxies", {"ids": ["1/a/01/x"]})
    with pytest.raises(ValueError):
        filter_nodes(PROXIES, "bogus", {})


def test_states_and_exstates() -> None:
    assert fn({"states": ["waiting"]}) == ["2/a", "10/abc"]
    assert fn({"states": ["waiting", "failed"]}) == ["2/a", "2/b", "10/abc"]
    assert fn({"exstates": ["waiting"]}) == ["1/a", "1/b", "2/b"]
    assert fn({"states": ["waiting"], "exstates": ["waiting"]}) == []


def test_state_missing_uses_state_of_or_passes() -> None:
    delta = PbTaskProxy(id=f"{W}//5/z")  # an "updated" delta without a state
    assert fn({"states": ["running"]}, [delta]) == ["5/z"]
    assert fn({"exstates": ["running"]}, [delta]) == ["5/z"]
    assert fn({"states": ["running"]}, [delta], state_of=lambda e: "waiting") == []
    assert fn({"states": ["waiting"]}, [delta], state_of=lambda e: "waiting") == ["5/z"]
    assert fn({"ids": ["5/z:running"]}, [delta], state_of=lambda e: "waiting") == []


def test_boolean_flags() -> None:
    assert fn({"is_held": True}) == ["1/b"]
    assert fn({"is_held": False}) == ["1/a", "2/a", "2/b", "10/abc"]
    assert fn({"is_queued": True}) == ["2/a"]
    assert fn({"is_runahead": True}) == ["2/b"]
    assert fn({"is_runahead": False, "is_queued": False}) == ["1/a", "1/b", "10/abc"]


def test_depths() -> None:
    assert fn({"mindepth": 2}) == ["1/b", "2/b", "10/abc"]
    assert fn({"maxdepth": 1}) == ["1/a", "2/a"]
    assert fn({"mindepth": 2, "maxdepth": 2}) == ["1/b", "2/b"]
    assert fn({"mindepth": 0, "maxdepth": 0}) == []
    assert fn({"mindepth": -1, "maxdepth": None}) == ids_of(PROXIES)


def test_graph_depth_keeps_at_most_n() -> None:
    assert fn({"graph_depth": 0}) == ["1/a", "1/b"]
    assert fn({"graph_depth": 1}) == ["1/a", "1/b", "2/a"]
    assert fn({"graph_depth": -1}) == ids_of(PROXIES)


def test_combined_filters() -> None:
    args = {"ids": ["*/a*", "*/b"], "exids": ["1"], "states": ["waiting", "failed"],
            "maxdepth": 2, "graph_depth": 1}
    assert fn(args) == ["2/a"]


# ------------------------------------------------------------- other types


def test_family_proxies() -> None:
    fams = [
        PbFamilyProxy(id=f"{W}//1/FAM", name="FAM", state="running", depth=1, is_held=True),
        PbFamilyProxy(id=f"{W}//1/root", name="root", state="running", depth=0),
        PbFamilyProxy(id=f"{W}//2/FAM", name="FAM", state="waiting", depth=1, graph_depth=1),
    ]
    assert fn({"ids": ["*/FAM"]}, fams, "family_proxies") == ["1/FAM", "2/FAM"]
    assert fn({"ids": ["*/FAM:waiting"]}, fams, "family_proxies") == ["2/FAM"]
    assert fn({"states": ["running"], "mindepth": 1}, fams, "family_proxies") == ["1/FAM"]
    assert fn({"is_held": True}, fams, "family_proxies") == ["1/FAM"]
    assert fn({"graph_depth": 0}, fams, "family_proxies") == ["1/FAM", "1/root"]


JOBS = [
    job("1/a/01", "failed"),
    job("1/a/02", "succeeded"),
    job("1/b/01", "running"),
    job("2/a/01", "submitted"),
    job("2/a/03", "submit-failed"),
]


def test_jobs_ids_and_states() -> None:
    assert fn({"ids": ["1/a"]}, JOBS, "jobs") == ["1/a/01", "1/a/02"]
    assert fn({"ids": ["*/a/01"]}, JOBS, "jobs") == ["1/a/01", "2/a/01"]
    assert fn({"ids": ["*/*/0[2-3]"]}, JOBS, "jobs") == ["1/a/02", "2/a/03"]
    assert fn({"ids": ["1/a/*:failed"]}, JOBS, "jobs") == ["1/a/01"]
    assert fn({"states": ["running", "submitted"]}, JOBS, "jobs") == ["1/b/01", "2/a/01"]
    assert fn({"exstates": ["failed", "submit-failed"]}, JOBS, "jobs") == [
        "1/a/02", "1/b/01", "2/a/01"]
    # flags and depths do not apply to jobs and are ignored
    assert fn({"is_held": True, "mindepth": 5, "graph_depth": 0}, JOBS, "jobs") == ids_of(JOBS)


def test_jobs_nn_is_latest_submission() -> None:
    assert fn({"ids": ["*/*/NN"]}, JOBS, "jobs") == ["1/a/02", "1/b/01", "2/a/03"]
    assert fn({"ids": ["1/a/NN"]}, JOBS, "jobs") == ["1/a/02"]
    assert fn({"exids": ["*/*/NN"]}, JOBS, "jobs") == ["1/a/01", "2/a/01"]
    assert fn({"ids": ["*/*/NN:submit-failed"]}, JOBS, "jobs") == ["2/a/03"]
    # NN never matches a task proxy
    assert fn({"ids": ["1/a/NN"]}) == []


def test_definitions_match_by_name() -> None:
    tasks = [
        PbTask(id=f"{W}//$namespace|a", name="a", depth=1),
        PbTask(id=f"{W}//$namespace|b", name="b", depth=2),
        PbTask(id=f"{W}//$namespace|abc", depth=2),  # no name: taken from the id
    ]
    assert fn({"ids": ["a*"]}, tasks, "tasks") == ["$namespace|a", "$namespace|abc"]
    assert fn({"ids": ["b"]}, tasks, "tasks") == ["$namespace|b"]
    assert fn({"ids": ["$namespace|b"]}, tasks, "tasks") == ["$namespace|b"]
    assert fn({"ids": [f"{W}//$namespace|a"]}, tasks, "tasks") == ["$namespace|a"]
    assert fn({"ids": ["~u/zzz//a"]}, tasks, "tasks") == []
    assert fn({"exids": ["a*"]}, tasks, "tasks") == ["$namespace|b"]
    assert fn({"mindepth": 2}, tasks, "tasks") == ["$namespace|b", "$namespace|abc"]
    # states and flags do not apply to definitions
    assert fn({"states": ["running"], "is_held": True}, tasks, "tasks") == ids_of(tasks)
    fams = [PbFamily(id=f"{W}//$namespace|root", name="root", depth=0),
            PbFamily(id=f"{W}//$namespace|FAM", name="FAM", depth=1)]
    assert fn({"ids": ["F*"]}, fams, "families") == ["$namespace|FAM"]
    assert fn({"maxdepth": 0}, fams, "families") == ["$namespace|root"]


def test_edges_only_sorted() -> None:
    edges = [PbEdge(id=f"{W}//$edge|1/b|1/c"), PbEdge(id=f"{W}//$edge|1/a|1/b")]
    assert filter_nodes(edges, "edges", {"ids": ["zzz"], "states": ["x"]}) is edges
    assert ids_of(filter_nodes(edges, "edges", {"sort": {"keys": ["id"]}})) == [
        "$edge|1/a|1/b", "$edge|1/b|1/c"]


# ------------------------------------------------------------- sort


def test_sort_keys_and_reverse() -> None:
    assert ids_of(sort_elements(PROXIES, {"keys": ["id"], "reverse": False})) == [
        "1/a", "1/b", "10/abc", "2/a", "2/b"]
    assert ids_of(sort_elements(PROXIES, {"keys": ["id"], "reverse": True})) == [
        "2/b", "2/a", "10/abc", "1/b", "1/a"]
    # stable multi-key sort, camelCase keys
    assert ids_of(sort_elements(PROXIES, {"keys": ["state", "cyclePoint"]})) == [
        "2/b", "1/b", "1/a", "10/abc", "2/a"]
    assert ids_of(sort_elements(PROXIES, {"keys": ["graphDepth"], "reverse": True})) == [
        "10/abc", "2/b", "2/a", "1/a", "1/b"]
    # keys default to id
    assert ids_of(sort_elements(PROXIES, {"reverse": True}))[0] == "2/b"
    assert sort_elements(PROXIES, None) == PROXIES
    assert sort_elements(PROXIES, None) is not PROXIES


def test_sort_accepts_attribute_style_input() -> None:
    class SortArgs(dict):
        """Like graphene's input container: a dict whose fields are also attributes."""

        def __init__(self, keys, reverse):
            super().__init__(keys=keys, reverse=reverse)
            self.keys = keys
            self.reverse = reverse

    class Plain:
        keys = ["name"]
        reverse = True

    assert ids_of(sort_elements(PROXIES, SortArgs(["name"], False)))[:2] == ["1/a", "2/a"]
    assert ids_of(sort_elements(PROXIES, Plain()))[0] == "1/b"


def test_sort_repeated_field_and_errors() -> None:
    a = tp("1/a", namespace=["root", "B"])
    b = tp("1/b", namespace=["root", "A"])
    assert ids_of(sort_elements([a, b], {"keys": ["namespace"]})) == ["1/b", "1/a"]
    with pytest.raises(ValueError, match="not in the schema"):
        sort_elements(PROXIES, {"keys": ["nope"]})
    with pytest.raises(ValueError):
        sort_elements(PROXIES, {"keys": []})
    with pytest.raises(ValueError):
        sort_elements(PROXIES, {"keys": ["runtime"]})
    assert sort_elements([], {"keys": ["nope"]}) == []


def test_sort_dict_rows() -> None:
    rows = [{"id": "b", "run_time": 5}, {"id": "a", "run_time": None},
            {"id": "c", "run_time": 1}]
    assert [r["id"] for r in sort_elements(rows, {"keys": ["runTime"]})] == ["a", "c", "b"]
    assert [r["id"] for r in sort_elements(rows, {"keys": ["id"], "reverse": True})] == [
        "c", "b", "a"]
    with pytest.raises(ValueError, match="not in the schema"):
        sort_elements(rows, {"keys": ["nope"]})


def test_filter_then_sort() -> None:
    args = {"states": ["waiting", "failed"], "sort": {"keys": ["id"], "reverse": True}}
    assert fn(args) == ["2/b", "2/a", "10/abc"]
    assert fn({"sort": {"keys": ["name"]}}) == ["1/a", "2/a", "10/abc", "1/b", "2/b"]


def test_many_elements_fast() -> None:
    elements = [tp(f"{c}/t{i}", "waiting" if i % 2 else "running", depth=i % 4)
                for c in range(20) for i in range(500)]
    args = {"ids": ["1*/t1*", "2/*"], "exids": ["*/t19*"], "states": ["waiting"],
            "mindepth": 1, "sort": {"keys": ["id"]}}
    start = time.perf_counter()
    result = filter_nodes(elements, "task_proxies", args)
    elapsed = time.perf_counter() - start
    expected = sorted(
        (e for e in elements
         if e.state == "waiting" and e.depth >= 1
         and ((e.cycle_point.startswith("1") and e.name.startswith("t1"))
              or e.cycle_point == "2")
         and not e.name.startswith("t19")),
        key=lambda e: e.id,
    )
    assert result == expected and result
    assert elapsed < 0.5


# ------------------------------------------------------------- nodes_edges


def chain_replica() -> WorkflowReplica:
    """a -> b -> c -> d, plus x -> c, and e (isolated); edge lists on the nodes."""
    replica = WorkflowReplica(W)
    pairs = [("a", "b"), ("b", "c"), ("c", "d"), ("x", "c")]
    edges = {
        f"{W}//$edge|1/{s}|1/{t}": PbEdge(
            id=f"{W}//$edge|1/{s}|1/{t}", source=f"{W}//1/{s}", target=f"{W}//1/{t}")
        for s, t in pairs
    }
    replica.elements["edges"].update(edges)
    for name in "abcdxe":
        node = tp(f"1/{name}")
        node.edges.extend(
            e.id for e in edges.values() if e.source == node.id or e.target == node.id)
        replica.elements["task_proxies"][node.id] = node
    return replica


def edge_names(edges) -> list[str]:
    return sorted(relative_id(e.id).removeprefix("$edge|") for e in edges)


def test_nodes_edges_distances() -> None:
    replica = chain_replica()
    proxies = replica.elements["task_proxies"]
    root = [proxies[f"{W}//1/b"]]
    nodes, edges = nodes_edges(replica, root, 0)
    assert ids_of(nodes) == ["1/b"] and edges == []
    nodes, edges = nodes_edges(replica, root, 1)
    assert sorted(ids_of(nodes)) == ["1/a", "1/b", "1/c"]
    assert ids_of(nodes)[0] == "1/b"
    assert edge_names(edges) == ["1/a|1/b", "1/b|1/c"]
    nodes, edges = nodes_edges(replica, root, 2)
    assert sorted(ids_of(nodes)) == ["1/a", "1/b", "1/c", "1/d", "1/x"]
    assert edge_names(edges) == ["1/a|1/b", "1/b|1/c", "1/c|1/d", "1/x|1/c"]
    # the walk stops when nothing new is reached; no duplicates
    nodes, edges = nodes_edges(replica, root, 10)
    assert len(nodes) == len(set(ids_of(nodes))) == 5
    assert len(edges) == 4


def test_nodes_edges_multiple_roots_and_isolated() -> None:
    replica = chain_replica()
    proxies = replica.elements["task_proxies"]
    nodes, edges = nodes_edges(replica, [proxies[f"{W}//1/a"], proxies[f"{W}//1/d"]], 1)
    assert sorted(ids_of(nodes)) == ["1/a", "1/b", "1/c", "1/d"]
    assert edge_names(edges) == ["1/a|1/b", "1/c|1/d"]
    nodes, edges = nodes_edges(replica, [proxies[f"{W}//1/e"]], 3)
    assert ids_of(nodes) == ["1/e"] and edges == []
    assert nodes_edges(replica, [], 2) == ([], [])


def test_nodes_edges_skips_missing_nodes_and_edges() -> None:
    replica = chain_replica()
    proxies = replica.elements["task_proxies"]
    # c has left the window but the edge b -> c is still there; d's edge id is dangling
    del proxies[f"{W}//1/c"]
    proxies[f"{W}//1/b"].edges.append(f"{W}//$edge|1/b|9/gone")
    nodes, edges = nodes_edges(replica, [proxies[f"{W}//1/b"]], 3)
    assert sorted(ids_of(nodes)) == ["1/a", "1/b"]
    assert edge_names(edges) == ["1/a|1/b", "1/b|1/c"]
