"""The ``jupyter cylc`` command: start Jupyter Server with the cylc extension.

This module imports nothing heavy before deciding what not to import.
Jupyter Server's event logger validates schemas with ``jsonschema``, which
imports a library per string format it can check, when installed
(``jupyter-events`` pulls them in). ``rfc3987_syntax`` (the ``iri`` formats)
builds a Lark grammar at import: about 1 s of startup and 16 MB of memory for
the life of the server. The others (durations, colours, URI templates,
host names, JSON pointers, date-times, URIs) add 46 modules and 2.2 MB
(``benchmarks/memory_steps.py``). No Jupyter Server event schema uses those
formats, and only ``jsonschema`` imports these libraries, so blocking them
makes it skip those format checks and nothing else.

It also freezes what the imports made (see :func:`main`).
"""

from __future__ import annotations

import gc
import sys

#: Imports the server does not need; each costs startup time or memory.
UNNEEDED_MODULES: tuple[str, ...] = (
    "rfc3987_syntax",
    "isoduration",  # and with it arrow
    "webcolors",
    "uri_template",
    "fqdn",
    "jsonpointer",
    "rfc3339_validator",
    "rfc3986_validator",
)


def main(argv: list[str] | None = None) -> None:
    """Start the server (the ``jupyter-cylc`` console script)."""
    for name in UNNEEDED_MODULES:
        # None in sys.modules makes ``import name`` raise ImportError.
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    from .app import CylcUIServer

    # What the imports made lives as long as the process: moving it out of the
    # collector's generations cuts every later full collection from ~50 ms
    # (80,000 objects) to the objects the server actually makes and drops.
    gc.collect()
    gc.freeze()
    CylcUIServer.launch_instance(argv)


if __name__ == "__main__":
    main()
