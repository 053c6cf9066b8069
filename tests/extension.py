"""Helpers for tests that run the ``cylc`` extension in pytest-jupyter's server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["extension", "until"]


@asynccontextmanager
async def extension(serverapp) -> AsyncIterator[object]:
    """The started ``cylc`` extension; stopped on the way out.

    pytest-jupyter starts the server without its post-start hook, which is
    where Jupyter starts extensions.
    """
    from uiserver.app import CylcUIServer

    await serverapp.extension_manager.start_all_extensions()
    app = next(
        app
        for apps in serverapp.extension_manager.extension_apps.values()
        for app in apps
        if isinstance(app, CylcUIServer)
    )
    try:
        yield app
    finally:
        await app.stop_extension()


async def until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Wait (bounded) for a condition on the test's side of the wire."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
