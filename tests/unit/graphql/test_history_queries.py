"""``tasks(live: false)`` and ``jobs(live: false)`` read the workflow database (web-api §10)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from uiserver.workflows import WorkflowRegistry

from ._data import data, make_store, run_async

pytestmark = pytest.mark.timeout(20)

# cylc-flow 8.5.4's task_jobs table.
TASK_JOBS = (
    "CREATE TABLE task_jobs(cycle TEXT, name TEXT, submit_num INTEGER, flow_nums TEXT, "
    "is_manual_submit INTEGER, try_num INTEGER, time_submit TEXT, time_submit_exit TEXT, "
    "submit_status INTEGER, time_run TEXT, time_run_exit TEXT, run_signal TEXT, "
    "run_status INTEGER, platform_name TEXT, job_runner_name TEXT, job_id TEXT, "
    "PRIMARY KEY(cycle, name, submit_num))"
)

ROWS = [
    # cycle, name, submit_num, submitted, started, exited, submit_status, run_status
    ("1", "a", 1, "2026-01-01T00:00:00Z", "2026-01-01T00:00:02Z", "2026-01-01T00:00:12Z", 0, 0),
    ("2", "a", 1, "2026-01-01T00:01:00Z", "2026-01-01T00:01:01Z", "2026-01-01T00:01:21Z", 0, 0),
    ("1", "b", 1, "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z", 0, 1),
    ("1", "b", 2, "2026-01-01T00:02:00Z", "2026-01-01T00:02:01Z", None, 0, None),
]


@pytest.fixture
async def registry(tmp_path: Path):
    run_dir = tmp_path / "cylc-run"
    workflow = run_dir / "wf"
    (workflow / "log").mkdir(parents=True)
    (workflow / "flow.cylc").write_text("[scheduling]\n")
    with sqlite3.connect(workflow / "log" / "db") as conn:
        conn.execute(TASK_JOBS)
        for cycle, name, num, submitted, started, exited, submit_status, run_status in ROWS:
            conn.execute(
                "INSERT INTO task_jobs VALUES (?,?,?,'[1]',0,1,?,?,?,?,?,NULL,?,'localhost','background','99')",
                (cycle, name, num, submitted, submitted, submit_status, started, exited, run_status),
            )
    conn.close()
    registry = WorkflowRegistry(run_dir, "u", scan_interval=0)
    await registry.scan()
    assert "~u/wf" in registry.entries
    yield registry
    await registry.stop()


async def test_analysis_task_query(registry):
    result, context = await run_async(
        make_store(),
        "query analysisTaskQuery($workflows: [ID]) { tasks(live: false, workflows: $workflows) "
        "{ name platform count meanRunTime minRunTime maxRunTime runQuartiles meanQueueTime "
        "totalQuartiles id } }",
        variables={"workflows": ["~u/wf"]},
        registry=registry,
    )
    (task,) = data(result, context)["tasks"]
    assert task["name"] == "a" and task["platform"] == "localhost" and task["count"] == 2
    assert (task["minRunTime"], task["meanRunTime"], task["maxRunTime"]) == (10, 15, 20)
    assert task["meanQueueTime"] == 1
    assert len(task["runQuartiles"]) == 3
    assert task["id"].startswith("~u/wf//")


async def test_job_state_query(registry):
    result, context = await run_async(
        make_store(),
        "query JobState($id: ID!, $workflowId: ID!) { jobs(live: false, ids: [$id], "
        "workflows: [$workflowId]) { id state } }",
        variables={"id": "1/b/NN", "workflowId": "~u/wf"},
        registry=registry,
    )
    assert data(result, context)["jobs"] == [{"id": "~u/wf//1/b/02", "state": "running"}]


async def test_gantt_query_and_filters(registry):
    result, context = await run_async(
        make_store(),
        '{ gantt: jobs(live: false, workflows: ["wf"], states: ["succeeded"]) '
        "{ name id cyclePoint submittedTime startedTime finishedTime platform runTime queueTime "
        "totalTime submitNum jobId jobRunnerName taskProxy { id } } "
        'failed: jobs(live: false, workflows: ["~u/wf"], tasks: ["b"], exstates: ["running"]) { id state } '
        'nothing: jobs(live: false, workflows: ["elsewhere"]) { id } }',
        registry=registry,
    )
    got = data(result, context)
    assert [job["id"] for job in got["gantt"]] == ["~u/wf//1/a/01", "~u/wf//2/a/01"]
    first = got["gantt"][0]
    assert first["cyclePoint"] == "1" and first["runTime"] == 10 and first["queueTime"] == 2
    assert first["totalTime"] == 12 and first["submitNum"] == 1 and first["taskProxy"] is None
    assert got["failed"] == [{"id": "~u/wf//1/b/01", "state": "failed"}]
    assert got["nothing"] == []


async def test_missing_database_is_an_error(registry, tmp_path):
    (tmp_path / "cylc-run" / "wf" / "log" / "db").unlink()
    result, _context = await run_async(
        make_store(), '{ tasks(live: false, workflows: ["~u/wf"]) { name } }', registry=registry
    )
    assert result.data == {"tasks": None}
    assert "No workflow database" in result.errors[0].message
