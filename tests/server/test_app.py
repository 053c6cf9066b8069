"""The extension loads in a real Jupyter server, discovers workflows and stops cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from uiserver.app import CylcUIServer, _split_workflow_arg


async def test_extension_discovers_workflows(cylc_app, cylc_run_dir):
    app = cylc_app
    assert app.name == "cylc"
    assert app.run_dir == str(cylc_run_dir)
    # A workflow appearing later is found by the periodic scan.
    (cylc_run_dir / "demo" / "run1").mkdir(parents=True)
    (cylc_run_dir / "demo" / "run1" / "flow.cylc").write_text("[scheduling]\n")
    for _ in range(100):
        if app.registry.get(f"~{app.owner}/demo/run1"):
            break
        await asyncio.sleep(0.05)
    entry = app.registry.get(f"~{app.owner}/demo/run1")
    assert entry is not None and not entry.running and entry.status_msg == "not yet run"
    replica = app.store.get(entry.id)
    assert replica.workflow.status == "stopped"
    assert replica.workflow.status_msg == "not yet run"
    assert app._shared_log_handlers
    await app.stop_extension()
    assert app.sync.links == {}
    # The app's log handlers it lent the package loggers are taken back.
    assert not set(app._shared_log_handlers) & set(logging.getLogger("uiserver").handlers)


@pytest.mark.parametrize(
    "argv, workflow, rest",
    [
        (["demo"], "demo", []),
        (["--no-browser", "demo/run1", "--port=8888"], "demo/run1", ["--no-browser", "--port=8888"]),
        (["--port", "8888", "demo"], "demo", ["--port", "8888"]),
        (["--ip=127.0.0.1"], "", ["--ip=127.0.0.1"]),
        (["--debug", "a/b"], "a/b", ["--debug"]),
    ],
)
def test_workflow_argument_is_split_from_server_options(argv, workflow, rest):
    assert _split_workflow_arg(argv, CylcUIServer) == (workflow, rest)


def test_default_url_opens_the_workflow():
    app = CylcUIServer(workflow_to_open="demo/run1")
    assert app.default_url == "/cylc/#/workspace/demo/run1"
    assert CylcUIServer().default_url == "/cylc/"


def test_module_logs_go_to_the_app_log(jp_serverapp):
    """A link's INFO lines (resyncs, snapshots) reach the server log."""
    app = jp_serverapp.extension_manager.extension_apps["uiserver"]
    (cylc,) = app
    package_log = logging.getLogger("uiserver")
    streams = [h for h in cylc.log.handlers if type(h) is logging.StreamHandler]
    assert streams and all(h in package_log.handlers for h in streams)
    assert logging.getLogger("uiserver.sync").isEnabledFor(cylc.log.level)
