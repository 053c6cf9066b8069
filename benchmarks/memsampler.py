"""A memory sampler to run inside a server under benchmark (diagnostics only).

Every ``MEMSAMPLER_EVERY`` seconds (default 3) it appends to
``$MEMSAMPLER_DIR/memsampler-<pid>.txt``: resident memory split into
anonymous and file pages, glibc's ``mallinfo2`` (heap, mmapped chunks, bytes
in use and free inside the heap) and Python's allocated block count. With
``MEMSAMPLER_TYPES=N`` it also writes, every N samples, the garbage collector's
tracked objects whose count grew most since the last such line, by type. The
figures in ``notes.md`` ("Memory: merge garbage and the freed heap") came from
it. To load it into the servers a benchmark starts, add a path hook to the
virtualenv, then run the benchmark with the variable set:

    echo "import benchmarks.memsampler" > .venv/lib/python3.11/site-packages/zz_memsampler.pth
    MEMSAMPLER_DIR=/tmp/mem .venv/bin/python -m benchmarks.run_synthetic --servers ours ...
    rm .venv/lib/python3.11/site-packages/zz_memsampler.pth

(the repository must be on the server's ``sys.path``, as it is when the
package is installed in editable mode). Without ``MEMSAMPLER_DIR`` the import
does nothing, and it only ever starts in a ``jupyter`` process.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import itertools
import os
import sys
import threading
import time


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost",
    )]


def _status_mb() -> dict[str, int]:
    wanted = ("VmRSS", "RssAnon", "RssFile")
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in wanted:
                values[key] = int(line.split()[1]) // 1024
    return values


def _type_counts() -> collections.Counter:
    return collections.Counter(
        f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects()
    )


def _sample_forever(path: str, every: float, types_every: int) -> None:
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    counts = _type_counts() if types_every else None
    for n in itertools.count(1):
        time.sleep(every)
        status = _status_mb()
        info = libc.mallinfo2()
        line = (
            f"t={time.time():.1f} rss={status['VmRSS']}MB anon={status['RssAnon']}MB file={status['RssFile']}MB "
            f"heap={info.arena >> 20}MB mmapped={info.hblkhd >> 20}MB in_use={info.uordblks >> 20}MB "
            f"free={info.fordblks >> 20}MB py_blocks={sys.getallocatedblocks()}\n"
        )
        if counts is not None and n % types_every == 0:
            now = _type_counts()
            grown = (now - counts).most_common(8)
            counts = now
            line += "".join(f"  +{delta} {name} (now {now[name]})\n" for name, delta in grown)
        with open(path, "a") as out:
            out.write(line)


def start() -> None:
    """Start the sampler thread if asked to (``MEMSAMPLER_DIR``) in a jupyter process."""
    directory = os.environ.get("MEMSAMPLER_DIR")
    if not directory or "jupyter" not in " ".join(sys.argv):
        return
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"memsampler-{os.getpid()}.txt")
    every = float(os.environ.get("MEMSAMPLER_EVERY", "3"))
    types_every = int(os.environ.get("MEMSAMPLER_TYPES", "0"))
    threading.Thread(
        target=_sample_forever, args=(path, every, types_every), name="memsampler", daemon=True
    ).start()


start()
