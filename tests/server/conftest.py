"""Fixtures for tests that run the extension inside a real Jupyter server."""

from __future__ import annotations

import pytest

from tests.extension import extension



@pytest.fixture
def cylc_run_dir(tmp_path):
    path = tmp_path / "cylc-run"
    path.mkdir()
    return path


@pytest.fixture
def jp_server_config(cylc_run_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"uiserver": True}},
        "CylcUIServer": {"run_dir": str(cylc_run_dir), "scan_interval": 0.2},
    }


@pytest.fixture
async def cylc_app(jp_serverapp):
    """The started ``cylc`` extension app."""
    async with extension(jp_serverapp) as app:
        yield app
