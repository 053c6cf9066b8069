"""The cached ``is_awaitable`` answers as graphql-core's does."""

from __future__ import annotations

import asyncio
import types

from graphql.pyutils import is_awaitable as reference

from uiserver.graphql.awaitable import is_awaitable
from uiserver.scheduler.messages import PbTaskProxy


async def _coroutine():
    return 1


@types.coroutine
def _old_style():
    yield


def _generator():
    yield


async def test_same_answers_as_graphql_core():
    coroutine = _coroutine()
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    task = asyncio.ensure_future(_coroutine())
    old = _old_style()
    plain = _generator()
    values = [
        None, 1, 1.5, "x", True, [], {}, (), PbTaskProxy(), PbTaskProxy().jobs,
        coroutine, future, task, old, plain, object(),
    ]
    for _ in range(2):  # the second round answers from the cache
        for value in values:
            assert is_awaitable(value) == reference(value), value
    await coroutine
    await task
    old.close()
