"""Session-wide test configuration."""

from __future__ import annotations

# jp_serverapp, jp_fetch, jp_ws_fetch, ... for tests/server and tests/transport.
pytest_plugins = ["pytest_jupyter.jupyter_server"]
