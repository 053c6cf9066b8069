"""A faster ``is_awaitable`` for graphql-core's executor.

graphql-core asks "is this awaitable?" of every resolved value (about four
times per field); its default predicate does two ``isinstance`` checks and a
``hasattr`` each time. Whether a value can be awaited is a property of its
type (except old-style generator coroutines, checked per object), so we
remember the answer per type. Pass it as ``execute(..., is_awaitable=is_awaitable)``.
"""

from __future__ import annotations

from inspect import CO_ITERABLE_COROUTINE
from types import CoroutineType, GeneratorType
from typing import Any

__all__ = ["is_awaitable"]

_BY_TYPE: dict[type, bool] = {
    str: False, int: False, float: False, bool: False, type(None): False, list: False,
    dict: False, tuple: False, CoroutineType: True,
}


def is_awaitable(value: Any) -> bool:
    """True if ``value`` can be passed to ``await`` (same answers as graphql-core's)."""
    cls = value.__class__
    known = _BY_TYPE.get(cls)
    if known is not None:
        return known
    if cls is GeneratorType:
        return bool(value.gi_code.co_flags & CO_ITERABLE_COROUTINE)
    answer = hasattr(cls, "__await__")
    if len(_BY_TYPE) < 4096:  # bounded: classes made on the fly cannot grow it forever
        _BY_TYPE[cls] = answer
    return answer
