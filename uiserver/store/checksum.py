"""Element checksums exactly as the scheduler computes them (protocol §6.4)."""

from __future__ import annotations

import zlib
from bisect import bisect_left, insort
from typing import Iterable, Mapping

from uiserver.scheduler.messages import Message

__all__ = ["SortedStamps", "checksum_key", "stamps_checksum", "type_checksum"]


def stamps_checksum(stamps: Iterable[str]) -> int:
    """Return the Adler-32 of the code-point-sorted, concatenated ``stamps``.

    An empty input gives 1 (Adler-32's initial value), like the scheduler.
    """
    return _sorted_checksum(sorted(stamps))


def _sorted_checksum(stamps: list[str]) -> int:
    return zlib.adler32("".join(stamps).encode("utf-8")) & 0xFFFFFFFF


def type_checksum(type_name: str, elements: Mapping[str, Message]) -> int:
    """Return the checksum of one element type's store, as sent in its ``*Deltas``.

    Every type is summed over its elements' ``stamp``, except ``edges``, which
    never carry a stamp and are summed over their ``id``.
    """
    key = checksum_key(type_name)
    return stamps_checksum([getattr(element, key) for element in elements.values()])


def checksum_key(type_name: str) -> str:
    """The field a type's checksum sums: ``id`` for edges, else ``stamp``."""
    return "id" if type_name == "edges" else "stamp"


class SortedStamps:
    """One type's stamps kept sorted between batches, for :func:`type_checksum`.

    Sorting every stamp of a type on every batch was most of the cost of
    verifying it (8,000 task proxies: a list of 8,000 strings read out of
    protobuf messages, then sorted). Kept sorted here, a batch costs a
    bisection per changed element and one join. The caller reports each
    change (:meth:`replace`); anything else (a snapshot, a resync, a
    reload) must :meth:`invalidate`, and a store whose size no longer
    matches rebuilds it anyway, so a missed report fails safe for added or
    removed elements.
    """

    __slots__ = ("_key", "_stamps", "_valid")

    def __init__(self, type_name: str) -> None:
        self._key = checksum_key(type_name)
        self._stamps: list[str] = []
        self._valid = False

    @property
    def valid(self) -> bool:
        return self._valid

    def invalidate(self) -> None:
        """Forget the stamps: the next checksum rebuilds them from the store."""
        self._valid = False
        self._stamps = []

    def replace(self, old: str | None, new: str | None) -> None:
        """One element's stamp changed from ``old`` to ``new`` (None: absent)."""
        if not self._valid or old == new:
            return
        stamps = self._stamps
        if old is not None:
            at = bisect_left(stamps, old)
            if at < len(stamps) and stamps[at] == old:
                del stamps[at]
            else:  # not what we were told: rebuild rather than guess
                self.invalidate()
                return
        if new is not None:
            insort(stamps, new)

    def checksum(self, elements: Mapping[str, Message]) -> int:
        """The type's checksum over ``elements`` (rebuilt from them if need be)."""
        if not self._valid or len(self._stamps) != len(elements):
            key = self._key
            self._stamps = sorted([getattr(element, key) for element in elements.values()])
            self._valid = True
        return _sorted_checksum(self._stamps)
