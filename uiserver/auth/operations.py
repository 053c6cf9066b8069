"""The operations Cylc authorises, their access groups and name spellings."""

from __future__ import annotations

import re

__all__ = [
    "ACCESS_GROUPS",
    "ALL",
    "CONTROL",
    "MUTATIONS",
    "OPERATIONS",
    "READ",
    "camel_case",
    "snake_case",
]

#: Every mutation of the schema, in snake_case (web-api §11).
MUTATIONS: frozenset[str] = frozenset(
    {
        "broadcast",
        "clean",
        "ext_trigger",
        "hold",
        "kill",
        "message",
        "pause",
        "play",
        "poll",
        "release",
        "release_hold_point",
        "reload",
        "remove",
        "resume",
        "scan",
        "set",
        "set_graph_window_extent",
        "set_hold_point",
        "set_verbosity",
        "stop",
        "trigger",
    }
)

#: ``read`` (every query and subscription) plus one operation per mutation.
OPERATIONS: frozenset[str] = MUTATIONS | {"read"}

#: The ``READ`` access group.
READ: frozenset[str] = frozenset({"read"})

#: The ``CONTROL`` access group. ``broadcast`` is left out because it can
#: inject arbitrary task configuration; ``read`` is left out because the
#: groups deliberately do not imply each other (web-api §12).
CONTROL: frozenset[str] = MUTATIONS - {"broadcast"}

#: The ``ALL`` access group.
ALL: frozenset[str] = OPERATIONS

#: Access-group names as they are written in configuration (upper case, as
#: in the reference server and the Cylc documentation).
ACCESS_GROUPS: dict[str, frozenset[str]] = {"READ": READ, "CONTROL": CONTROL, "ALL": ALL}

_UPPER = re.compile(r"([A-Z])")


def camel_case(operation: str) -> str:
    """Spell a snake_case operation as its GraphQL field name.

    ``"set_hold_point"`` → ``"setHoldPoint"``; ``"read"`` → ``"read"``.
    """
    head, *rest = operation.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_case(field_name: str) -> str:
    """Spell a GraphQL field name as a snake_case operation.

    ``"setHoldPoint"`` → ``"set_hold_point"``. Names without capitals (and
    introspection names such as ``__typename``) come back unchanged.
    """
    return _UPPER.sub(r"_\1", field_name).lower()
