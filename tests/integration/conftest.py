"""Fixtures for integration tests that run REAL cylc-flow schedulers.

Fixtures:

``cylc_home``
    A fresh temporary HOME (function scope) holding the harness
    ``.cylc/flow/global.cylc`` and an empty ``cylc-run``.
``harness``
    A :class:`tests.cylc_harness.CylcHarness` for ``cylc_home``; every
    scheduler it (or anything run with ``harness.env()``) started is
    SIGKILLed at teardown, pass or fail.
``session_cylc_home`` / ``session_harness``
    The same, shared by the whole test session (for tests that can share
    long-running schedulers; use distinct workflow names).

Every test collected under this directory is marked ``integration``; the
whole directory is skipped if the ``cylc`` executable is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cylc_harness import CylcHarness, cylc_executable, write_global_config

HERE = Path(__file__).parent.resolve()
CYLC = cylc_executable()


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected item in the session, so filter.
    skip = (
        None if CYLC.exists()
        else pytest.mark.skip(reason=f'cylc-flow not installed ({CYLC})')
    )
    for item in items:
        try:
            Path(item.path).resolve().relative_to(HERE)
        except ValueError:
            continue
        item.add_marker(pytest.mark.integration)
        if skip is not None:
            item.add_marker(skip)


def _make_home(path: Path) -> Path:
    write_global_config(path, cylc_bin=CYLC.parent)
    return path


@pytest.fixture
def cylc_home(tmp_path: Path) -> Path:
    """A per-test HOME with the harness global.cylc."""
    return _make_home(tmp_path / 'home')


@pytest.fixture
def harness(cylc_home: Path):
    """A CylcHarness for ``cylc_home``, cleaned up at teardown."""
    h = CylcHarness(cylc_home, CYLC)
    try:
        yield h
    finally:
        h.cleanup()


@pytest.fixture(scope='session')
def session_cylc_home(tmp_path_factory) -> Path:
    """A HOME shared by the whole session."""
    return _make_home(tmp_path_factory.mktemp('cylc-home'))


@pytest.fixture(scope='session')
def session_harness(session_cylc_home: Path):
    """A CylcHarness shared by the whole session, cleaned up at the end."""
    h = CylcHarness(session_cylc_home, CYLC)
    try:
        yield h
    finally:
        h.cleanup()
