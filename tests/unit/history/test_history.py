"""History queries over a task_jobs table built with cylc-flow 8.5.4's schema."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from uiserver.history import (
    HistoryError,
    derive_state,
    job_id,
    job_rows,
    public_db_path,
    task_stats,
)

WF = "~u/a/b/run1"

# Exactly as cylc-flow 8.5.4 creates it (read from a real log/db).
TASK_JOBS = (
    "CREATE TABLE task_jobs(cycle TEXT, name TEXT, submit_num INTEGER, flow_nums TEXT, "
    "is_manual_submit INTEGER, try_num INTEGER, time_submit TEXT, time_submit_exit TEXT, "
    "submit_status INTEGER, time_run TEXT, time_run_exit TEXT, run_signal TEXT, "
    "run_status INTEGER, platform_name TEXT, job_runner_name TEXT, job_id TEXT, "
    "PRIMARY KEY(cycle, name, submit_num))"
)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def stamp(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(cycle, name, submit_num, *, submit=None, queue=None, run=None, submit_status=0,
        run_status=None, platform="localhost", started=True):
    """A task_jobs row submitted at ``submit`` s, started ``queue`` s later, run ``run`` s."""
    time_submit = stamp(submit)
    time_run = stamp(submit + queue) if started and queue is not None else None
    time_exit = (
        stamp(submit + queue + run) if time_run is not None and run is not None else None
    )
    return {
        "cycle": cycle, "name": name, "submit_num": submit_num, "flow_nums": "[1]",
        "is_manual_submit": 0, "try_num": 1, "time_submit": time_submit,
        "time_submit_exit": time_submit, "submit_status": submit_status,
        "time_run": time_run, "time_run_exit": time_exit, "run_signal": None,
        "run_status": run_status, "platform_name": platform,
        "job_runner_name": "background", "job_id": f"{1000 + submit_num}",
    }


# (cycle, name, submit, queue, run, platform) for the succeeded jobs of b:
#   run times 10 20 60 on p1, 30 40 on p2; queue 1 2 5 / 3 4; total 11 22 65 / 33 44.
ROWS = [
    row("1", "a", 1, submit=0, queue=0, run=3, run_status=0),
    row("2", "a", 1, submit=10, queue=0, run=3, run_status=0),
    row("3", "a", 1, submit=20, queue=0, run=3, run_status=0),
    row("1", "b", 1, submit=0, queue=1, run=10, run_status=0, platform="p1"),
    row("2", "b", 1, submit=100, queue=2, run=20, run_status=0, platform="p1"),
    row("3", "b", 1, submit=200, queue=5, run=60, run_status=0, platform="p1"),
    row("4", "b", 1, submit=300, queue=3, run=30, run_status=0, platform="p2"),
    row("5", "b", 1, submit=400, queue=4, run=40, run_status=0, platform="p2"),
    row("6", "b", 1, submit=500, queue=1, run=1, run_status=1, platform="p1"),
    row("7", "b", 1, submit=600, queue=1, run=1, run_status=143, platform="p1"),
    row("7", "b", 2, submit=700, queue=1, platform="p1"),  # running
    *[row(str(i), "c", 1, submit=1000 + i * 10, queue=0, run=i, run_status=0)
      for i in range(1, 9)],
    # succeeded but its start was never recorded
    row("1", "d", 1, submit=0, queue=2, run=5, run_status=0, started=False),
    row("1", "e", 1, submit=0, submit_status=1, started=False),
    row("1", "e", 2, submit=5, submit_status=3, started=False),
    row("1", "e", 3, submit=9, started=False),  # submitted
    row("1", "f", 1, submit=0, queue=3),  # running
    row("1", "g", 1, submit=0, submit_status=None, started=False),  # nothing yet
]


def make_db(path: Path, rows=ROWS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(TASK_JOBS)
        for values in rows:
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            conn.execute(f"INSERT INTO task_jobs ({columns}) VALUES ({marks})",
                         list(values.values()))
    conn.close()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return make_db(public_db_path(tmp_path / "run"))


# ----------------------------------------------------------------- helpers


def test_helpers(tmp_path: Path) -> None:
    assert public_db_path(tmp_path) == tmp_path / "log" / "db"
    assert job_id(WF, "1", "a", 1) == f"{WF}//1/a/01"
    assert job_id(WF, "1", "a", 123) == f"{WF}//1/a/123"
    assert derive_state(0, None, 0) == "succeeded"
    assert derive_state(0, "t", 2) == "failed"
    assert derive_state(0, "t", None) == "running"
    assert derive_state(0, None, None) == "submitted"
    assert derive_state(5, None, None) == "submit-failed"
    assert derive_state(None, None, None) is None


# ----------------------------------------------------------------- task_stats


def by_group(stats):
    return {(s["name"], s["platform"]): s for s in stats}


def test_task_stats_groups_and_order(db: Path) -> None:
    stats = task_stats(db, WF)
    assert [(s["name"], s["platform"], s["count"]) for s in stats] == [
        ("a", "localhost", 3), ("b", "p1", 3), ("b", "p2", 2),
        ("c", "localhost", 8), ("d", "localhost", 1),
    ]
    groups = by_group(stats)
    # a job id of one of the group's own jobs
    assert groups[("b", "p2")]["id"] in {f"{WF}//4/b/01", f"{WF}//5/b/01"}
    assert groups[("a", "localhost")]["id"].startswith(f"{WF}//")
    assert groups[("a", "localhost")]["id"].endswith("/a/01")


def test_task_stats_simple(db: Path) -> None:
    a = by_group(task_stats(db, WF))[("a", "localhost")]
    assert a == {
        "id": a["id"], "name": "a", "platform": "localhost", "count": 3,
        "min_queue_time": 0, "mean_queue_time": 0, "max_queue_time": 0,
        "std_dev_queue_time": 0, "queue_quartiles": [0, 0, 0],
        "min_run_time": 3, "mean_run_time": 3, "max_run_time": 3,
        "std_dev_run_time": 0, "run_quartiles": [3, 3, 3],
        "min_total_time": 3, "mean_total_time": 3, "max_total_time": 3,
        "std_dev_total_time": 0, "total_quartiles": [3, 3, 3],
    }


def test_task_stats_means_and_population_std_dev_truncated(db: Path) -> None:
    groups = by_group(task_stats(db, WF))
    p1, p2 = groups[("b", "p1")], groups[("b", "p2")]
    # run 10 20 60: mean 30, pstdev 21.6
    assert (p1["min_run_time"], p1["mean_run_time"], p1["max_run_time"],
            p1["std_dev_run_time"]) == (10, 30, 60, 21)
    # queue 1 2 5: mean 2.67, pstdev 1.70
    assert (p1["min_queue_time"], p1["mean_queue_time"], p1["max_queue_time"],
            p1["std_dev_queue_time"]) == (1, 2, 5, 1)
    # total 11 22 65: mean 32.67, pstdev 23.3
    assert (p1["min_total_time"], p1["mean_total_time"], p1["max_total_time"],
            p1["std_dev_total_time"]) == (11, 32, 65, 23)
    # run 30 40: mean 35, pstdev 5; queue 3 4: 3.5, 0.5; total 33 44: 38.5, 5.5
    assert (p2["mean_run_time"], p2["std_dev_run_time"]) == (35, 5)
    assert (p2["mean_queue_time"], p2["std_dev_queue_time"]) == (3, 0)
    assert (p2["mean_total_time"], p2["std_dev_total_time"]) == (38, 5)


def test_task_stats_quartiles_across_platforms(db: Path) -> None:
    groups = by_group(task_stats(db, WF))
    p1, p2 = groups[("b", "p1")], groups[("b", "p2")]
    # NTILE(4) over all five b jobs by run time: [10 20] [30] [40] [60].
    # p1 holds 10, 20 (tile 1) and 60 (tile 4): Q1 = 20, tiles 2-3 empty -> Q1.
    assert p1["run_quartiles"] == [20, 20, 20]
    # p2 holds 30 (tile 2) and 40 (tile 3): no tile 1 -> Q1 null.
    assert p2["run_quartiles"] == [None, 30, 40]
    # queue: [1 2] [3] [4] [5]; total: [11 22] [33] [44] [65]
    assert p1["queue_quartiles"] == [2, 2, 2]
    assert p2["queue_quartiles"] == [None, 3, 4]
    assert p1["total_quartiles"] == [22, 22, 22]
    assert p2["total_quartiles"] == [None, 33, 44]


def test_task_stats_regular_quartiles(db: Path) -> None:
    c = by_group(task_stats(db, WF))[("c", "localhost")]
    # run 1..8 -> tiles [1 2] [3 4] [5 6] [7 8]
    assert c["run_quartiles"] == [2, 4, 6]
    assert (c["min_run_time"], c["mean_run_time"], c["max_run_time"]) == (1, 4, 8)
    assert c["std_dev_run_time"] == 2  # pstdev 2.29


def test_task_stats_missing_times_are_null(db: Path) -> None:
    d = by_group(task_stats(db, WF))[("d", "localhost")]
    assert d["count"] == 1
    for key in ("min_queue_time", "mean_queue_time", "max_queue_time", "std_dev_queue_time",
                "min_run_time", "mean_run_time", "max_run_time", "std_dev_run_time",
                "min_total_time", "mean_total_time", "max_total_time",
                "std_dev_total_time"):
        assert d[key] is None, key
    assert d["queue_quartiles"] == [None, None, None]
    assert d["run_quartiles"] == [None, None, None]


def test_task_stats_whole_seconds_and_time_zones(tmp_path: Path) -> None:
    rows = [row("1", "z", 1, submit=0, queue=0, run=0, run_status=0)]
    rows[0].update(time_submit="2026-01-01T01:00:00+01:00",
                   time_run="2026-01-01T00:00:05.900Z", time_run_exit="2026-01-01T00:00:07Z")
    stats = task_stats(make_db(tmp_path / "db", rows), WF)
    assert stats[0]["min_queue_time"] == 5
    assert stats[0]["min_run_time"] == 2
    assert stats[0]["min_total_time"] == 7


def test_task_stats_empty_table(tmp_path: Path) -> None:
    assert task_stats(make_db(tmp_path / "db", []), WF) == []


# ----------------------------------------------------------------- job_rows


def rel(rows) -> list[str]:
    return [r["id"].split("//", 1)[1] for r in rows]


ALL = ["1/a/01", "2/a/01", "3/a/01", "1/b/01", "2/b/01", "3/b/01", "4/b/01", "5/b/01",
       "6/b/01", "7/b/01", "7/b/02", *[f"{i}/c/01" for i in range(1, 9)], "1/d/01",
       "1/e/01", "1/e/02", "1/e/03", "1/f/01"]


def test_job_rows_all_in_submission_order(db: Path) -> None:
    rows = job_rows(db, WF, [], [], [], [], [])
    assert rel(rows) == ALL  # 1/g/01 has no status yet
    assert all(r["id"].startswith(f"{WF}//") for r in rows)
    assert job_rows(db, WF) == rows


def test_job_rows_fields(db: Path) -> None:
    rows = {r["id"]: r for r in job_rows(db, WF, [], [], [], [], [])}
    assert rows[f"{WF}//3/b/01"] == {
        "id": f"{WF}//3/b/01", "name": "b", "cycle_point": "3", "submit_num": 1,
        "submitted_time": "2026-01-01T00:03:20Z", "started_time": "2026-01-01T00:03:25Z",
        "finished_time": "2026-01-01T00:04:25Z", "job_id": "1001",
        "job_runner_name": "background", "platform": "p1",
        "queue_time": 5, "run_time": 60, "total_time": 65, "state": "succeeded",
    }
    running = rows[f"{WF}//1/f/01"]
    assert (running["state"], running["queue_time"], running["run_time"],
            running["total_time"], running["finished_time"]) == ("running", 3, None, None, None)
    assert rows[f"{WF}//1/e/03"]["state"] == "submitted"
    assert rows[f"{WF}//1/e/03"]["queue_time"] is None


def jr(db, ids=(), exids=(), states=(), exstates=(), tasks=()):
    return rel(job_rows(db, WF, list(ids), list(exids), list(states), list(exstates),
                        list(tasks)))


def test_job_rows_states_use_derived_state(db: Path) -> None:
    # any non-zero exit status is a failure, not only 1
    assert jr(db, states=["failed"]) == ["6/b/01", "7/b/01"]
    assert jr(db, states=["submit-failed"]) == ["1/e/01", "1/e/02"]
    assert jr(db, states=["submitted"]) == ["1/e/03"]
    assert jr(db, states=["running"]) == ["7/b/02", "1/f/01"]
    assert jr(db, states=["running", "submitted"]) == ["7/b/02", "1/e/03", "1/f/01"]
    assert jr(db, states=["waiting"]) == []
    assert len(jr(db, states=["succeeded"])) == 3 + 5 + 8 + 1
    assert jr(db, exstates=["succeeded", "running"]) == [
        "6/b/01", "7/b/01", "1/e/01", "1/e/02", "1/e/03"]


def test_job_rows_ids(db: Path) -> None:
    assert jr(db, ids=["1/e"]) == ["1/e/01", "1/e/02", "1/e/03"]
    assert jr(db, ids=["1"]) == [r for r in ALL if r.startswith("1/")]
    assert jr(db, ids=["*/b/02"]) == ["7/b/02"]
    # the job part matches the zero-padded or the plain submit number
    assert jr(db, ids=["1/e/2"]) == jr(db, ids=["1/e/02"]) == ["1/e/02"]
    assert jr(db, ids=["1/[de]/0[13]"]) == ["1/d/01", "1/e/01", "1/e/03"]
    assert jr(db, ids=["1/a", "2/a"]) == ["1/a/01", "2/a/01"]
    assert jr(db, ids=["*/b:failed"]) == ["6/b/01", "7/b/01"]
    assert jr(db, ids=[""]) == []
    # a workflow part must match
    assert jr(db, ids=[f"{WF}//1/a"]) == ["1/a/01"]
    assert jr(db, ids=["~u/a/*//1/a"]) == ["1/a/01"]
    assert jr(db, ids=["a/b/run1//1/a"]) == ["1/a/01"]
    assert jr(db, ids=["~u/other//1/a"]) == []
    assert jr(db, ids=["~x/a/b/run1//1/a"]) == []
    with pytest.raises(ValueError):
        jr(db, ids=["1/a/01/x"])


def test_job_rows_latest_submission(db: Path) -> None:
    assert jr(db, ids=["1/e/NN"]) == ["1/e/03"]
    assert jr(db, ids=["7/b/NN"]) == ["7/b/02"]
    latest = jr(db, ids=["*/*/NN"])
    assert latest == [r for r in ALL if r not in ("7/b/01", "1/e/01", "1/e/02")]
    assert jr(db, ids=["*/b/NN:failed"]) == ["6/b/01"]  # 7/b's latest is running
    assert jr(db, exids=["*/*/NN"]) == ["7/b/01", "1/e/01", "1/e/02"]


def test_job_rows_exids_and_tasks(db: Path) -> None:
    assert jr(db, exids=["*/b", "*/c", "*/a"]) == ["1/d/01", "1/e/01", "1/e/02", "1/e/03",
                                                   "1/f/01"]
    assert jr(db, exids=["1"]) == [r for r in ALL if not r.startswith("1/")]
    assert jr(db, exids=["*/e/0[12]"], ids=["1/e"]) == ["1/e/03"]
    assert jr(db, tasks=["a", "f"]) == ["1/a/01", "2/a/01", "3/a/01", "1/f/01"]
    assert jr(db, tasks=["[de]"]) == ["1/d/01", "1/e/01", "1/e/02", "1/e/03"]
    assert jr(db, tasks=[""]) == []
    combined = jr(db, ids=["*/b", "1"], exids=["1/a"], states=["succeeded", "failed"],
                  exstates=["failed"], tasks=["b", "d"])
    assert combined == ["1/b/01", "2/b/01", "3/b/01", "4/b/01", "5/b/01", "1/d/01"]


# ----------------------------------------------------------------- errors


def test_missing_database(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "log" / "db"
    with pytest.raises(HistoryError, match="No workflow database"):
        task_stats(path, WF)
    with pytest.raises(HistoryError):
        job_rows(path, WF, [], [], [], [], [])
    assert not path.exists()  # read-only: nothing created


def test_unreadable_database(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="Cannot read"):
        task_stats(garbage, WF)
    empty = tmp_path / "empty"
    sqlite3.connect(empty).execute("CREATE TABLE other(x)").connection.close()
    with pytest.raises(HistoryError, match="task_jobs"):
        job_rows(empty, WF, [], [], [], [], [])


def test_connection_closed_and_database_untouched(db: Path) -> None:
    before = db.read_bytes()
    task_stats(db, WF)
    job_rows(db, WF, ["*/*/NN"], [], [], [], [])
    with pytest.raises(HistoryError):
        job_rows(db.parent / "missing", WF, [], [], [], [], [])
    fds = os.listdir("/proc/self/fd")
    open_paths = set()
    for fd in fds:
        try:
            open_paths.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    assert str(db) not in open_paths
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["db"]


def test_reads_while_another_connection_writes(db: Path) -> None:
    writer = sqlite3.connect(db)
    try:
        writer.execute("BEGIN")
        writer.execute("UPDATE task_jobs SET run_status = 1 WHERE name = 'a'")
        # an uncommitted write is invisible and does not block readers
        assert len(jr(db, states=["failed"])) == 2
    finally:
        writer.rollback()
        writer.close()
