"""Element checksums exactly as the scheduler computes them (protocol §6.4)."""

from __future__ import annotations

import zlib
from typing import Iterable, Mapping

from uiserver.scheduler.messages import Message

__all__ = ["stamps_checksum", "type_checksum"]


def stamps_checksum(stamps: Iterable[str]) -> int:
    """Return the Adler-32 of the code-point-sorted, concatenated ``stamps``.

    An empty input gives 1 (Adler-32's initial value), like the scheduler.
    """
    return zlib.adler32("".join(sorted(stamps)).encode("utf-8")) & 0xFFFFFFFF


def type_checksum(type_name: str, elements: Mapping[str, Message]) -> int:
    """Return the checksum of one element type's store, as sent in its ``*Deltas``.

    Every type is summed over its elements' ``stamp``, except ``edges``, which
    never carry a stamp and are summed over their ``id``.
    """
    if type_name == "edges":
        return stamps_checksum([element.id for element in elements.values()])
    return stamps_checksum([element.stamp for element in elements.values()])
