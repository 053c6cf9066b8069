"""The heap trimmer: when it trims, and that glibc really gives pages back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest
from graphql import parse

from tests.ui_documents import WORKFLOW_SUBSCRIPTION
from tests.unit.graphql._data import WF, make_store
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.graphql.selection import plan_subscription
from uiserver.graphql.subscriptions import SharedSubscription, SubscriptionHub, SubscriptionKey
from uiserver.heap import HeapTrimmer, _mallopt, fix_mmap_threshold, malloc_trim


class Recorder:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, pad: int) -> int:
        self.calls.append(pad)
        return 1


async def test_output_below_the_threshold_never_trims():
    trim = Recorder()
    heap = HeapTrimmer(threshold=1000, delay=0.01, trim=trim)
    for _ in range(9):
        heap.note(100)
    await asyncio.sleep(0.05)
    assert trim.calls == []


async def test_one_trim_after_the_delay_for_all_the_output_that_crossed_it():
    trim = Recorder()
    heap = HeapTrimmer(threshold=1000, delay=0.05, follow_up=60, trim=trim)
    heap.note(600)
    heap.note(600)  # crosses: a trim is scheduled
    heap.note(5000)  # already scheduled: no second one
    assert trim.calls == []  # not inside the burst itself
    await asyncio.sleep(0.1)
    assert trim.calls == [0] and heap.trims == 1
    # The count restarted at the trim.
    heap.note(900)
    await asyncio.sleep(0.1)
    assert trim.calls == [0]
    heap.note(100)
    await asyncio.sleep(0.1)
    assert trim.calls == [0, 0]


async def test_a_follow_up_trim_catches_what_was_still_being_sent():
    trim = Recorder()
    heap = HeapTrimmer(threshold=10, delay=0.01, follow_up=0.05, trim=trim)
    heap.note(10)
    await asyncio.sleep(0.03)
    assert trim.calls == [0]
    await asyncio.sleep(0.1)
    assert trim.calls == [0, 0]
    await asyncio.sleep(0.1)
    assert trim.calls == [0, 0]  # one follow-up, not a timer that re-arms itself
    heap.close()


def test_outside_an_event_loop_it_trims_at_once():
    trim = Recorder()
    HeapTrimmer(threshold=10, trim=trim).note(10)
    assert trim.calls == [0]


async def test_close_cancels_a_scheduled_trim():
    trim = Recorder()
    heap = HeapTrimmer(threshold=10, delay=0.02, follow_up=0.02, trim=trim)
    heap.note(10)
    heap.close()
    await asyncio.sleep(0.05)
    assert trim.calls == []
    heap.note(10)
    await asyncio.sleep(0.03)
    heap.close()  # cancels the follow-up too
    await asyncio.sleep(0.05)
    assert trim.calls == [0]


def test_without_malloc_trim_it_does_nothing():
    heap = HeapTrimmer(threshold=1, trim=None)
    assert not heap.enabled
    heap.note(10)
    assert heap.trims == 0


def test_every_resolved_frame_is_counted():
    """The hub tells the trimmer the size of each frame it encodes, burst included."""
    trim = Recorder()
    heap = HeapTrimmer(threshold=1, trim=trim)
    store = make_store()
    hub = SubscriptionHub(
        graphql_schema, store, None,  # type: ignore[arg-type]
        lambda strip: ResolveContext(store=store, owner="u", strip_null=strip),
        heap=heap,
    )
    document = parse(WORKFLOW_SUBSCRIPTION)
    variables = {"workflowId": WF}
    plan = plan_subscription(graphql_schema, document.definitions[0], {}, variables)
    shared = SharedSubscription(
        hub, SubscriptionKey.of(WORKFLOW_SUBSCRIPTION, None, variables), document,
        document.definitions[0], variables, plan, lambda result, context, stripped=False: {"data": result.data},
    )
    data = shared.resolve(DeltaFrame.burst(store.get(WF)))
    assert data and trim.calls == [0]  # outside a loop: at once, for the frame's bytes


@pytest.mark.skipif(malloc_trim is None, reason="no glibc malloc_trim here")
def test_glibc_gives_the_pages_of_a_freed_burst_back():
    """Freed blocks between live ones stay resident until malloc_trim.

    Run in a fresh interpreter so the test process's own heap does not blur
    the figures.
    """
    script = textwrap.dedent(
        """
        from uiserver.heap import malloc_trim

        def rss_kb():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmRSS"):
                        return int(line.split()[1])

        base = rss_kb()
        # 64 MB in blocks too big for pymalloc (so from malloc's heap) and
        # too small for mmap; one in 64 stays alive, as merged elements do
        # among a burst's transient objects.
        burst = [bytes(1500) + bytes([n % 256]) for n in range(43_000)]
        pins = burst[::64]
        del burst
        before = rss_kb()
        assert malloc_trim(0) == 1
        after = rss_kb()
        print(base, before, after)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    base, before, after = (int(x) for x in out)
    assert before - base > 40_000, (base, before, after)  # free() alone kept the pages
    assert before - after > 40_000, (base, before, after)  # the trim returned them


_MAPPED_AFTER_A_LARGE_FREE = textwrap.dedent(
    """
    import ctypes, sys
    from uiserver.heap import fix_mmap_threshold

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = MallInfo2
    fixed = fix_mmap_threshold(128 << 10) if sys.argv[1] == "fix" else None
    big = bytes(8 << 20)  # mapped under either setting, then unmapped
    del big
    before = mallinfo2().hblkhd
    block = bytes(1 << 20)
    print(fixed, mallinfo2().hblkhd - before)
    """
)


def _mapped_after_a_large_free(mode: str, **env: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", _MAPPED_AFTER_A_LARGE_FREE, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, **env},
    ).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(_mallopt is None, reason="no glibc mallopt here")
def test_a_fixed_mmap_threshold_keeps_large_blocks_out_of_the_heap():
    """By default a freed 8 MB mapping raises glibc's threshold, and the next
    1 MB block comes from the heap; with the threshold fixed it is mapped."""
    fixed, mapped = _mapped_after_a_large_free("fix")
    assert fixed == "True"
    assert mapped >= 1 << 20
    _, mapped_by_default = _mapped_after_a_large_free("default")
    assert mapped_by_default < 1 << 20  # the control: glibc's own adjustment


@pytest.mark.skipif(_mallopt is None, reason="no glibc mallopt here")
def test_an_operators_malloc_setting_wins():
    fixed, _ = _mapped_after_a_large_free("fix", MALLOC_MMAP_THRESHOLD_="4194304")
    assert fixed == "False"


def test_no_threshold_is_no_change():
    assert fix_mmap_threshold(0) is False
