"""History queries read the database of a real workflow run (simulation mode)."""

from __future__ import annotations

import getpass

import pytest

from tests.cylc_harness import SMALL, CylcHarness
from uiserver.history import job_rows, public_db_path, task_stats

TASKS = ["bar", "fam_a", "fam_b", "foo"]


@pytest.mark.timeout(180)
def test_history_of_a_finished_run(harness: CylcHarness) -> None:
    harness.write_workflow("small", SMALL)
    harness.play("small")
    # SMALL runs two cycles and then shuts down by itself.
    harness.wait_stopped("small", timeout=120)
    db = public_db_path(harness.run_dir("small"))
    workflow_id = f"~{getpass.getuser()}/small"

    stats = task_stats(db, workflow_id)
    assert [s["name"] for s in stats] == TASKS
    platforms = {s["platform"] for s in stats}
    assert len(platforms) == 1 and None not in platforms
    for s in stats:
        assert s["count"] == 2
        assert s["id"].startswith(f"{workflow_id}//")
        assert s["id"].split("/")[-2:] == [s["name"], "01"]
        # simulated run length PT2S, whole seconds
        assert 1 <= s["min_run_time"] <= s["mean_run_time"] <= s["max_run_time"] <= 10
        assert 0 <= s["min_queue_time"] <= s["max_queue_time"] <= 10
        assert s["min_total_time"] >= s["min_run_time"]
        # Two jobs fill NTILE(4)'s first two tiles: Q1 and Q2 are their run
        # times in order, and the empty third tile falls back to Q1 (web-api §10.1).
        assert s["run_quartiles"] == [s["min_run_time"], s["max_run_time"], s["min_run_time"]]

    rows = job_rows(db, workflow_id, [], [], [], [], [])
    assert sorted(r["id"] for r in rows) == sorted(
        f"{workflow_id}//{cycle}/{name}/01" for cycle in ("1", "2") for name in TASKS
    )
    assert {r["state"] for r in rows} == {"succeeded"}
    assert {r["platform"] for r in rows} == platforms
    for r in rows:
        assert r["run_time"] is not None and r["total_time"] == r["queue_time"] + r["run_time"]
        assert r["submitted_time"] <= r["started_time"] <= r["finished_time"]
    assert [r["id"] for r in job_rows(db, workflow_id, ["2/foo"], [], [], [], [])] == [
        f"{workflow_id}//2/foo/01"]
    assert job_rows(db, workflow_id, [], [], ["failed"], [], []) == []
    assert len(job_rows(db, workflow_id, ["*/*/NN"], [], ["succeeded"], [], ["f*"])) == 6
