"""What every resolver can reach through ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uiserver.commands import CommandRunner
    from uiserver.store import Store
    from uiserver.workflows import WorkflowRegistry

__all__ = ["ResolveContext"]


@dataclass(slots=True)
class ResolveContext:
    """Per-execution context: the server's parts plus who is asking.

    One context serves one execution (one HTTP request, or one resolution of
    a subscription frame shared by every socket with that subscription), so
    it must not carry per-socket state.
    """

    store: Store
    #: The account whose workflows this server shows.
    owner: str
    #: The authenticated user ("" for a shared subscription resolution).
    user: str = ""
    registry: WorkflowRegistry | None = None
    commands: CommandRunner | None = None
    #: Whether unset protobuf fields resolve to null (instead of their
    #: defaults) in the subtree being resolved. It starts as
    #: ``strip_result``; a ``deltas`` frame's ``added``/``updated``/``pruned``
    #: set it for their own subtree from their ``stripNull`` argument (else
    #: the ``deltas`` one), so complete ``added`` elements keep their
    #: defaults while partial ``updated`` ones leave unchanged fields out.
    strip_null: bool = False
    #: True when ``stripNull: true`` appears anywhere in the document: nulls
    #: are dropped from the whole result (the reference's behaviour, web-api §7.4).
    strip_result: bool = False
    #: The ``stripNull`` argument of the ``deltas`` field being resolved.
    deltas_strip: bool = False
    #: Lists of objects longer than this are encoded as they are resolved
    #: (graphql/encoding.py), so their items' dicts never all exist at once.
    #: 0 never does; only set it where the result goes straight to orjson.
    encode_lists_over: int = 0
    #: Errors a resolver wants in the response without failing its field,
    #: e.g. a scheduler that could not be reached by a forwarded mutation
    #: (web-api §11.3). Each is a GraphQL error object ``{"message": ...}``.
    extra_errors: list[dict[str, Any]] = field(default_factory=list)
