"""Summarise a py-spy ``--format raw`` file (collapsed stacks): where time goes.

    .venv/bin/python -m benchmarks.profile_summary benchmarks/work/<run>/phase01-ours-10.pyspy.txt
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def summarise(path: Path, top: int = 25) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = []
        for frame in stack.split(";"):
            match = _FRAME.match(frame)
            if match:
                name = f"{match['func']} ({Path(match['file']).name if match['file'] else '?'})"
                # Keep site-packages/uiserver path tails readable.
                if "uiserver/" in match["file"]:
                    name = f"{match['func']} (uiserver/{match['file'].split('uiserver/', 1)[1]})"
            else:
                name = frame
            frames.append(name)
        for name in set(frames):
            inclusive[name] += samples
        if frames:
            own[frames[-1]] += samples
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "own (leaf):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarise(args.path, args.top))


if __name__ == "__main__":
    main()
