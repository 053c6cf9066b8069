"""Compare a client's merged store with an HTTP query of the same fields."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["normalise", "compare_store"]

TYPES = ("taskProxies", "familyProxies", "jobs", "edges")


def _empty(value: Any, lenient: bool) -> bool:
    if value is None or value == [] or value == {} or value == "":
        return True
    # Lenient: null and false/0 mean the same to the web UI.
    return lenient and (value is False or (type(value) in (int, float) and value == 0))


def normalise(value: Any, lenient: bool = False) -> Any:
    """Drop empty values and order lists, so equal content compares equal."""
    if isinstance(value, dict):
        items = {
            key: normalise(item, lenient) for key, item in value.items()
            if key not in ("reloaded", "lastUpdated")
        }
        return {key: item for key, item in items.items() if not _empty(item, lenient)}
    if isinstance(value, list):
        items = [normalise(item, lenient) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def compare_store(
    client: dict[str, dict[str, dict[str, Any]]], truth: dict[str, list[dict[str, Any]]],
    *, examples: int = 3, lenient: bool = False,
) -> dict[str, Any]:
    """Per type: counts, missing/extra ids, and elements whose fields differ (by field).

    Empty values (null, "", [], {}) count as absent, since a ``stripNull``
    client cannot tell them from "unchanged"; ``lenient`` also treats false
    and 0 as absent (the web UI reads null as false).
    """
    report: dict[str, Any] = {"ok": True}
    for name in TYPES:
        expected = {item["id"]: normalise(item, lenient) for item in truth.get(name) or ()}
        got = {key: normalise(item, lenient) for key, item in (client.get(name) or {}).items()}
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        fields: dict[str, int] = {}
        samples = []
        differing = 0
        for key in set(expected) & set(got):
            if expected[key] == got[key]:
                continue
            differing += 1
            for field in set(expected[key]) | set(got[key]):
                if expected[key].get(field) != got[key].get(field):
                    fields[field] = fields.get(field, 0) + 1
                    if len(samples) < examples:
                        samples.append({
                            "id": key, "field": field,
                            "http": expected[key].get(field), "client": got[key].get(field),
                        })
        entry = {
            "http": len(expected), "client": len(got), "missing": len(missing),
            "extra": len(extra), "differing": differing, "fields": fields,
            "missing_sample": missing[:examples], "extra_sample": extra[:examples],
            "diff_sample": samples,
        }
        report[name] = entry
        if missing or extra or differing:
            report["ok"] = False
    return report
