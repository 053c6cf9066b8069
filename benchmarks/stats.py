"""Small statistics helpers (no numpy needed)."""

from __future__ import annotations

import math
from typing import Iterable

__all__ = ["percentiles"]


def percentiles(values: Iterable[float], points: Iterable[float] = (50, 95, 99)) -> dict[str, float | None]:
    """Nearest-rank percentiles plus max and count; ``None`` where empty."""
    data = sorted(values)
    result: dict[str, float | None] = {}
    for point in points:
        if not data:
            result[f"p{point:g}"] = None
            continue
        rank = max(1, math.ceil(point / 100 * len(data)))
        result[f"p{point:g}"] = data[rank - 1]
    result["max"] = data[-1] if data else None
    result["n"] = len(data)
    return result
