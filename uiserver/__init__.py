"""Cylc UI Server: a Jupyter Server extension serving Cylc 8 workflows to browsers."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "_jupyter_server_extension_points"]


def _jupyter_server_extension_points() -> list[dict]:
    """Tell Jupyter Server where the ``cylc`` extension app lives."""
    from .app import CylcUIServer

    return [{"module": "uiserver.app", "app": CylcUIServer}]
