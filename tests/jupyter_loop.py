"""Run async tests on the Jupyter test server's event loop.

pytest-jupyter binds its HTTP server to its own loop (``jp_asyncio_loop``)
while pytest-asyncio (``asyncio_mode = auto``) would run each async test on
a fresh loop of its own, where the server never answers. Tests decorated
with :func:`on_server_loop` are plain functions to both plugins and run
their body on the server's loop, bounded in time.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["on_server_loop"]


def on_server_loop(
    timeout: float = 30.0,
) -> Callable[[Callable[..., Coroutine[Any, Any, None]]], Callable[..., None]]:
    """Decorate an ``async def`` test to run on ``jp_asyncio_loop`` within ``timeout`` s."""

    def decorate(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
        signature = inspect.signature(test)
        wants_loop = "jp_asyncio_loop" in signature.parameters
        parameters = list(signature.parameters.values())
        if not wants_loop:
            parameters.append(
                inspect.Parameter("jp_asyncio_loop", inspect.Parameter.KEYWORD_ONLY)
            )

        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            loop = kwargs["jp_asyncio_loop"] if wants_loop else kwargs.pop("jp_asyncio_loop")
            loop.run_until_complete(asyncio.wait_for(test(*args, **kwargs), timeout))

        # pytest reads fixture names from the signature; keep the loop in it.
        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        del run.__wrapped__
        return run

    return decorate
