"""Job history from a workflow's public database, for ``live: false`` queries (web-api §10).

The functions are synchronous (run them in a worker thread) and open the
database read-only for each call.
"""

from .db import HistoryError, public_db_path
from .ids import job_id
from .jobs import derive_state, job_rows
from .stats import task_stats

__all__ = [
    "HistoryError",
    "derive_state",
    "job_id",
    "job_rows",
    "public_db_path",
    "task_stats",
]
