"""Fixtures for the web UI tests: a Jupyter server serving a UI build."""

from __future__ import annotations

from pathlib import Path

import pytest

from uiserver.transport.static import static_handlers


@pytest.fixture
def jp_server_config():
    # The static handler alone; it needs nothing from the cylc extension.
    return {}


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """A minimal build laid out as Vite writes it."""
    root = tmp_path / "ui"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="./assets/index-AbCd1234.js"></script>')
    (root / "assets" / "index-AbCd1234.js").write_text("console.log('ui')")
    (root / "favicon.svg").write_text("<svg/>")
    return root


@pytest.fixture
def ui_server(jp_serverapp, jp_base_url, build_dir):
    """The Jupyter server with the UI routes added under its base URL."""
    jp_serverapp.web_app.add_handlers(".*$", static_handlers(jp_base_url, build_dir))
    return jp_serverapp
