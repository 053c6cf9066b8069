"""Job rows from the workflow database: ``jobs(live: false)`` (web-api §10.2).

Unlike the reference, every filter works on the derived ``state``, so
``states: ["failed"]`` matches any non-zero exit status and
``["submit-failed"]`` any non-zero submit status.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from .db import read_only
from .ids import glob, job_id, parse_job_pattern

__all__ = ["derive_state", "job_rows"]

_QUERY: Final = """
SELECT
    cycle, name, submit_num, time_submit, time_run, time_run_exit,
    submit_status, run_status, platform_name, job_runner_name, job_id,
    STRFTIME('%s', time_run) - STRFTIME('%s', time_submit),
    STRFTIME('%s', time_run_exit) - STRFTIME('%s', time_run),
    STRFTIME('%s', time_run_exit) - STRFTIME('%s', time_submit)
FROM task_jobs
ORDER BY rowid
"""


def derive_state(
    submit_status: int | None, time_run: str | None, run_status: int | None
) -> str | None:
    """The job state a row records, or None for a job not yet submitted."""
    if run_status is not None:
        return "succeeded" if run_status == 0 else "failed"
    if time_run is not None:
        return "running"
    if submit_status is not None:
        return "submitted" if submit_status == 0 else "submit-failed"
    return None


def _nothing(_: str) -> bool:
    return False


def _split_workflow(workflow_id: str) -> tuple[str | None, str]:
    if workflow_id.startswith("~"):
        user, _, name = workflow_id[1:].partition("/")
        return user, name
    return None, workflow_id


def job_rows(
    db_path: Path,
    workflow_id: str,
    ids: Sequence[str] | None = None,
    exids: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    exstates: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One dict per recorded job of ``workflow_id`` (``~user/WF``), in submission order.

    Keys are the snake_case ``UISJob`` fields: ``id`` (``~user/WF//cycle/task/NN``),
    ``name``, ``cycle_point``, ``submit_num``, ``submitted_time``,
    ``started_time``, ``finished_time``, ``job_id``, ``job_runner_name``,
    ``platform``, ``queue_time``, ``run_time``, ``total_time`` (whole seconds
    or None) and the derived ``state``. Rows without any status are left out.

    Filters (empty = no filter): ``ids`` globs ``cycle[/task[/job]][:state]``
    (OR-ed; a job part ``NN`` = the latest submission of each task instance;
    a ``~user/WF//`` prefix must match ``workflow_id``), ``exids`` likewise
    excluding, ``states``/``exstates`` on the derived state, ``tasks`` task
    name globs (OR-ed). Raises HistoryError if the database cannot be read,
    ValueError for a malformed id.
    """
    include = [parse_job_pattern(p) for p in ids or ()]
    exclude = [parse_job_pattern(p) for p in exids or ()]
    # An empty name matches nothing rather than everything.
    task_names = [glob(name.strip()) if name.strip() else _nothing for name in tasks or ()]
    wanted = set(states or ())
    unwanted = set(exstates or ())
    user, name = _split_workflow(workflow_id)

    with read_only(db_path) as conn:
        rows = conn.execute(_QUERY).fetchall()

    jobs = []
    latest: dict[tuple[str, str], int] = {}
    for row in rows:
        state = derive_state(row[6], row[4], row[7])
        if state is None:
            continue
        jobs.append((row, state))
        key = (row[0], row[1])
        if row[2] > latest.get(key, -1):
            latest[key] = row[2]

    result = []
    for row, state in jobs:
        cycle, task, submit_num = row[0], row[1], row[2]
        if wanted and state not in wanted:
            continue
        if state in unwanted:
            continue
        is_latest = latest[(cycle, task)] == submit_num
        args = (user, name, cycle, task, submit_num, state, is_latest)
        if task_names and not any(match(task) for match in task_names):
            continue
        if include and not any(p.matches(*args) for p in include):
            continue
        if any(p.matches(*args) for p in exclude):
            continue
        result.append({
            "id": job_id(workflow_id, cycle, task, submit_num),
            "name": task,
            "cycle_point": cycle,
            "submit_num": submit_num,
            "submitted_time": row[3],
            "started_time": row[4],
            "finished_time": row[5],
            "job_id": row[10],
            "job_runner_name": row[9],
            "platform": row[8],
            "queue_time": row[11],
            "run_time": row[12],
            "total_time": row[13],
            "state": state,
        })
    return result
