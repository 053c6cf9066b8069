"""encode_result: compact UTF-8 JSON for every frame, whatever the values."""

from __future__ import annotations

import json

from uiserver.graphql.subscriptions import encode_result


def test_compact_utf8_json():
    result = {"data": {"deltas": {"id": "~u/w", "label": "été ✓", "n": 3, "x": 1.5, "ok": True, "no": None}}}
    encoded = encode_result(result)
    assert encoded == json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()
    assert "été ✓".encode() in encoded


def test_values_the_fast_encoder_refuses_still_encode():
    # A generic scalar can carry integers beyond 64 bits and non-string keys.
    result = {"data": {"big": 2**70, "map": {1: "one"}}}
    assert json.loads(encode_result(result)) == {"data": {"big": 2**70, "map": {"1": "one"}}}


def test_non_finite_floats_stay_valid_json():
    encoded = encode_result({"data": {"x": float("nan"), "y": float("inf")}})
    assert json.loads(encoded) == {"data": {"x": None, "y": None}}
