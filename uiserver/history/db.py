"""Read-only access to a workflow's public database ``<run dir>/log/db`` (web-api §10).

Everything here is synchronous and meant to run in a worker thread: each call
opens the database read-only, runs its queries and closes it again, so a
scheduler writing the same file is never locked out for longer than a query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

__all__ = ["BUSY_TIMEOUT", "HistoryError", "public_db_path", "read_only"]

#: Seconds to wait for a scheduler's write lock before giving up.
BUSY_TIMEOUT: Final = 5.0


class HistoryError(Exception):
    """The workflow database is missing or cannot be read; the message says which."""


def public_db_path(run_dir: Path) -> Path:
    """Return the public database of the workflow installed in ``run_dir``."""
    return Path(run_dir) / "log" / "db"


@contextmanager
def read_only(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Open ``db_path`` read-only for the duration of the block, then close it.

    Raises HistoryError if the file does not exist or is not a readable
    SQLite database, and translates any SQLite error raised in the block.
    """
    path = Path(db_path).absolute()
    if not path.is_file():
        raise HistoryError(f"No workflow database at {path}")
    # mode=ro: never create the file or take a write lock on it.
    uri = f"{path.as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise HistoryError(f"Cannot open workflow database {path}: {exc}") from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        raise HistoryError(f"Cannot read workflow database {path}: {exc}") from exc
    finally:
        conn.close()
