"""Timing statistics of succeeded jobs per task and platform: ``tasks(live: false)``.

Follows web-api §10.1: whole seconds from SQLite ``STRFTIME('%s', …)``,
means and population standard deviations truncated to integers, and
quartiles from ``NTILE(4)`` tiles computed per task name across platforms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from .db import read_only
from .ids import job_id

__all__ = ["METRICS", "task_stats"]

#: The three timings, each giving ``min_/mean_/max_/std_dev_<metric>`` and
#: ``<prefix>_quartiles``.
METRICS: Final = ("queue", "run", "total")

# Timings of succeeded jobs, each tiled among all jobs of the same task name.
# A null timing sorts first and takes a tile position, as in the reference.
_QUERY: Final = """
WITH timed AS (
    SELECT
        cycle, name, submit_num, platform_name AS platform,
        STRFTIME('%s', time_run) - STRFTIME('%s', time_submit) AS queue_time,
        STRFTIME('%s', time_run_exit) - STRFTIME('%s', time_run) AS run_time,
        STRFTIME('%s', time_run_exit) - STRFTIME('%s', time_submit) AS total_time
    FROM task_jobs
    WHERE run_status = 0
)
SELECT
    cycle, name, submit_num, platform, queue_time, run_time, total_time,
    NTILE(4) OVER (PARTITION BY name ORDER BY queue_time, cycle, submit_num),
    NTILE(4) OVER (PARTITION BY name ORDER BY run_time, cycle, submit_num),
    NTILE(4) OVER (PARTITION BY name ORDER BY total_time, cycle, submit_num)
FROM timed
ORDER BY name, platform, cycle, submit_num
"""


def _summary(values: Sequence[int]) -> tuple[int | None, int | None, int | None, int | None]:
    """``(min, mean, max, population std dev)``, truncated; all None for no values."""
    if not values:
        return None, None, None, None
    count = len(values)
    mean = sum(values) / count
    mean_square = sum(v * v for v in values) / count
    # Rounding can push a zero variance just below 0.
    std_dev = math.sqrt(max(mean_square - mean * mean, 0.0))
    return min(values), int(mean), max(values), int(std_dev)


def _quartiles(rows: Sequence[tuple[int | None, int]]) -> list[int | None]:
    """``[Q1, Q2, Q3]`` from ``(value, tile)`` rows: the largest value of tiles 1-3.

    A tile without rows falls back to Q1 (tiles 2 and 3) or null (tile 1).
    """
    tops: dict[int, int | None] = {}
    for value, tile in rows:
        top = tops.get(tile)
        if tile not in tops or (value is not None and (top is None or value > top)):
            tops[tile] = value
    q1 = tops.get(1)
    return [q1, tops.get(2, q1), tops.get(3, q1)]


def task_stats(db_path: Path, workflow_id: str) -> list[dict[str, Any]]:
    """One dict per (task name, platform) over the succeeded jobs in ``db_path``.

    Keys are the snake_case ``UISTask`` fields: ``id`` (a job id of the
    group's last job, ``~user/WF//cycle/task/NN``), ``name``, ``platform``,
    ``count`` and, for each of queue/run/total time, ``min_…``, ``mean_…``,
    ``max_…``, ``std_dev_…`` (e.g. ``mean_run_time``) and ``…_quartiles``
    (e.g. ``run_quartiles``). Missing timings give None. Ordered by name,
    then platform. Raises HistoryError if the database cannot be read.
    """
    with read_only(db_path) as conn:
        rows = conn.execute(_QUERY).fetchall()
    groups: dict[tuple[str, str | None], list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[1], row[3]), []).append(row)
    result = []
    for (name, platform), group in groups.items():
        last = group[-1]
        stats: dict[str, Any] = {
            "id": job_id(workflow_id, last[0], name, last[2]),
            "name": name,
            "platform": platform,
            "count": len(group),
        }
        for index, metric in enumerate(METRICS):
            column, tile = 4 + index, 7 + index
            values = [row[column] for row in group if row[column] is not None]
            low, mean, high, std_dev = _summary(values)
            stats[f"min_{metric}_time"] = low
            stats[f"mean_{metric}_time"] = mean
            stats[f"max_{metric}_time"] = high
            stats[f"std_dev_{metric}_time"] = std_dev
            stats[f"{metric}_quartiles"] = _quartiles([(row[column], row[tile]) for row in group])
        result.append(stats)
    return result
