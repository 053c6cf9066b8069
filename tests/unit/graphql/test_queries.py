"""The root queries read the replicas, with the common filter arguments."""

from __future__ import annotations

import pytest

from ._data import WF, data, make_store, ns, run, run_async

OTHER = "~u/other"
ELSE = "~v/wf"


def _ids(items):
    return [item["id"] for item in items]


def test_workflows_by_glob_and_status():
    store = make_store(OTHER, ELSE)
    queries = {
        "all": "workflows",
        "mine": 'workflows(ids: ["~u/*"])',
        "short": 'workflows(ids: ["wf"])',
        "running": 'workflows(ids: ["*:running"])',
        "stopped": 'workflows(ids: ["*:stopped"])',
        "not": 'workflows(exids: ["other"])',
    }
    result, context = run(store, "{ %s }" % " ".join(f"{k}: {q} {{ id }}" for k, q in queries.items()))
    got = {key: _ids(value) for key, value in data(result, context).items()}
    assert got == {
        "all": [WF, OTHER, ELSE],
        "mine": [WF, OTHER],
        "short": [WF, ELSE],
        "running": [WF],
        "stopped": [OTHER, ELSE],
        "not": [WF, ELSE],
    }


def test_single_element_queries():
    store = make_store()
    result, context = run(
        store,
        f'{{ job(id: "{WF}//1/a/01") {{ id state }} '
        f'taskProxy(id: "{WF}//1/b") {{ id }} '
        f'short: taskProxy(id: "wf//1/b") {{ id }} '
        f'missing: taskProxy(id: "{WF}//9/x") {{ id }} '
        f'task(id: "{ns("a")}") {{ id }} '
        f'byName: task(id: "{WF}//b") {{ id }} '
        f'family(id: "{ns("FAM")}") {{ id }} '
        f'familyProxy(id: "{WF}//1/FAM") {{ id }} '
        f'unknown: familyProxy(id: "~u/nope//1/FAM") {{ id }} }}',
    )
    assert result.data == {
        "job": {"id": f"{WF}//1/a/01", "state": "running"},
        "taskProxy": {"id": f"{WF}//1/b"},
        "short": {"id": f"{WF}//1/b"},
        "missing": None,
        "task": {"id": ns("a")},
        "byName": {"id": ns("b")},
        "family": {"id": ns("FAM")},
        "familyProxy": {"id": f"{WF}//1/FAM"},
        "unknown": None,
    }


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", ["1/a", "1/b", "2/a"]),
        ('(ids: ["1/*"])', ["1/a", "1/b"]),
        ('(ids: ["*/a"])', ["1/a", "2/a"]),
        ('(ids: ["*/*:waiting"])', ["1/b", "2/a"]),
        ('(exids: ["1/a"])', ["1/b", "2/a"]),
        ('(ids: ["~u/wf//2/a"])', ["2/a"]),
        ('(states: ["running"])', ["1/a"]),
        ('(exstates: ["running"])', ["1/b", "2/a"]),
        ("(isHeld: true)", ["1/b"]),
        ("(isQueued: true)", ["2/a"]),
        ("(isRunahead: false)", ["1/a", "1/b", "2/a"]),
        ("(mindepth: 2)", ["1/b"]),
        ("(maxdepth: 1)", ["1/a", "2/a"]),
        ("(graphDepth: 0)", ["1/a"]),
        ('(sort: {keys: ["cyclePoint", "name"], reverse: true})', ["2/a", "1/b", "1/a"]),
        ('(workflows: ["other"])', []),
        ('(exworkflows: ["wf"])', []),
        ('(workflows: ["~u/wf"])', ["1/a", "1/b", "2/a"]),
    ],
)
def test_task_proxies_filters(arguments, expected):
    store = make_store(OTHER)
    result, context = run(store, f"{{ taskProxies{arguments} {{ id }} }}")
    assert _ids(data(result, context)["taskProxies"]) == [f"{WF}//{rel}" for rel in expected]


def test_other_element_queries():
    store = make_store(OTHER)
    result, context = run(
        store,
        '{ familyProxies(states: ["waiting"]) { id } '
        "allFamilyProxies: familyProxies { id } "
        "families(maxdepth: 0) { id } "
        'edges(sort: {keys: ["id"], reverse: true}) { id source } '
        "nodesEdges(ids: [\"2/a\"]) { nodes { id } edges { id } } "
        "wider: nodesEdges(ids: [\"1/b\"], distance: 1) { nodes { id } edges { id } } }",
    )
    got = data(result, context)
    assert _ids(got["familyProxies"]) == [f"{WF}//1/FAM"]
    assert _ids(got["allFamilyProxies"]) == [f"{WF}//1/root", f"{WF}//1/FAM"]
    assert _ids(got["families"]) == [ns("root")]
    assert got["edges"] == [{"id": f"{WF}//$edge|1/a|1/b", "source": f"{WF}//1/a"}]
    assert got["nodesEdges"] == {"nodes": [{"id": f"{WF}//2/a"}], "edges": []}
    assert got["wider"] == {
        "nodes": [{"id": f"{WF}//1/b"}, {"id": f"{WF}//1/a"}],
        "edges": [{"id": f"{WF}//$edge|1/a|1/b"}],
    }


async def test_live_tasks_and_jobs():
    store = make_store()
    result, context = await run_async(
        store,
        '{ tasks(ids: ["a"]) { id name meanElapsedTime count platform } '
        'jobs(states: ["running"]) { id state totalTime taskProxy { id } } '
        'noJobs: jobs(exstates: ["running"]) { id } }',
    )
    assert data(result, context) == {
        "tasks": [{"id": ns("a"), "name": "a", "meanElapsedTime": 12.5, "count": None, "platform": None}],
        "jobs": [{"id": f"{WF}//1/a/01", "state": "running", "totalTime": None,
                  "taskProxy": {"id": f"{WF}//1/a"}}],
        "noJobs": [],
    }


async def test_history_queries_need_a_workflow():
    store = make_store()
    for query in ("{ tasks(live: false) { name } }", "{ jobs(live: false) { id } }"):
        result, _context = await run_async(store, query)
        assert result.data == {query.split("(")[0][2:]: None}
        assert [e.message for e in result.errors] == ["At least one workflow must be provided."]


def test_bad_sort_key_is_an_error():
    store = make_store()
    result, _context = run(store, '{ taskProxies(sort: {keys: ["nope"]}) { id } }')
    assert result.data == {"taskProxies": None}
    assert "nope" in result.errors[0].message


async def test_log_files_and_command_log():
    store = make_store()

    class Audit:
        def entries(self, limit):
            from types import SimpleNamespace as NS

            entry = NS(time=1.5, user="bob", mutation="hold", arguments={"tasks": ["1/a"]},
                       outcomes=[NS(workflow=WF, outcome="accepted", message="ok")])
            return [entry] * limit

    class Commands:
        audit = Audit()

    result, context = run(
        store,
        f'{{ logFiles(id: "{WF}") {{ files }} '
        "commandLog(limit: 2) { time user mutation arguments outcomes { workflow outcome message } } }",
        commands=Commands(),
    )
    got = data(result, context)
    assert got["logFiles"] == {"files": []}
    assert got["commandLog"] == [
        {"time": 1.5, "user": "bob", "mutation": "hold", "arguments": {"tasks": ["1/a"]},
         "outcomes": [{"workflow": WF, "outcome": "accepted", "message": "ok"}]}
    ] * 2
