"""Fixtures for tests that run the extension inside a real Jupyter server."""

from __future__ import annotations

import pytest



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
    """The started ``cylc`` extension app.

    pytest-jupyter starts the server without running its post-start hook,
    which is where Jupyter starts extensions; run it here.
    """
    from uiserver.app import CylcUIServer

    await jp_serverapp.extension_manager.start_all_extensions()
    app = next(
        app
        for apps in jp_serverapp.extension_manager.extension_apps.values()
        for app in apps
        if isinstance(app, CylcUIServer)
    )
    yield app
    await app.stop_extension()
