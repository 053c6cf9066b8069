"""encode_result: compact UTF-8 JSON for every frame, whatever the values, and lists encoded ahead."""

from __future__ import annotations

import json

from uiserver.graphql.encoding import EncodedList, encode_items, encode_result


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


def test_encoded_lists_are_written_verbatim():
    items = EncodedList()
    items.add(encode_items([{"a": 1}, {"b": "é"}]))
    items.add(encode_items([None]))
    result = {"data": {"list": items, "after": 2}}
    assert encode_result(result) == b'{"data":{"list":[{"a":1},{"b":"\xc3\xa9"},null],"after":2}}'


def test_encoded_lists_survive_the_fallback():
    # Values orjson refuses, inside an encoded chunk and beside an encoded list.
    items = EncodedList()
    items.add(encode_items([{"big": 2**70}, {"map": {1: "x"}}]))
    items.add(encode_items([3]))
    encoded = encode_result({"data": {"list": items, "big": 2**65}})
    assert json.loads(encoded) == {
        "data": {"list": [{"big": 2**70}, {"map": {"1": "x"}}, 3], "big": 2**65}
    }
