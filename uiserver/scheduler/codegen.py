"""Regenerate ``data_messages_pb2.py`` from ``data_messages.proto``.

Run ``python -m uiserver.scheduler.codegen`` (needs the ``dev`` extra, which
pins grpcio-tools to the protoc release matching our protobuf floor, so the
generated module loads on every protobuf runtime we support).
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["generate"]

HERE = Path(__file__).parent


def generate(out_dir: Path = HERE) -> Path:
    """Compile the proto next to this file into ``out_dir``; return the module path."""
    from grpc_tools import protoc  # dev-only dependency

    code = protoc.main(
        ["protoc", f"-I{HERE}", f"--python_out={out_dir}", str(HERE / "data_messages.proto")]
    )
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}")
    return out_dir / "data_messages_pb2.py"


if __name__ == "__main__":
    print(generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))
