"""Store: replicas by workflow id and synchronous change fan-out."""

from __future__ import annotations

import logging

import pytest

from uiserver.store import Store, StoreChange


def test_replicas() -> None:
    store = Store()
    assert store.get("w") is None
    replica = store.ensure("w")
    assert store.ensure("w") is replica and store.get("w") is replica
    assert replica.workflow_id == "w"
    assert store.remove("w") is replica
    assert store.remove("w") is None and store.replicas == {}


def test_emit_in_order_despite_a_raising_listener(caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    calls: list[str] = []

    def boom(change: StoreChange) -> None:
        calls.append("boom")
        raise RuntimeError("listener failed")

    store.listen(lambda change: calls.append("first"))
    store.listen(boom)
    unsubscribe = store.listen(lambda change: calls.append(change.reason))
    change = StoreChange("w", reason="shutdown", shutdown=True)
    with caplog.at_level(logging.ERROR, logger="uiserver.store"):
        store.emit(change)
    assert calls == ["first", "boom", "shutdown"]
    assert store.emitted == 1
    assert any("listener failed" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    assert all(r.name == "uiserver.store" for r in caplog.records)

    unsubscribe()
    unsubscribe()  # idempotent
    store.emit(change)
    assert calls[3:] == ["first", "boom"]
    assert store.emitted == 2


def test_listener_may_unsubscribe_while_called() -> None:
    store = Store()
    calls: list[int] = []
    unsubscribe = None

    def once(change: StoreChange) -> None:
        calls.append(1)
        unsubscribe()

    unsubscribe = store.listen(once)
    store.listen(lambda change: calls.append(2))
    store.emit(StoreChange("w"))
    store.emit(StoreChange("w"))
    assert calls == [1, 2, 2]


def test_change_is_empty() -> None:
    assert StoreChange("w").is_empty()
    assert not StoreChange("w", reloaded=True).is_empty()
    assert not StoreChange("w", shutdown=True).is_empty()
    assert not StoreChange("w", pruned={"jobs": ["j"]}).is_empty()
