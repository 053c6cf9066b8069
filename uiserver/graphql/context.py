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
    #: True when ``stripNull: true`` appears anywhere in the document: unset
    #: protobuf fields resolve to null and nulls are dropped from the result
    #: (the reference's document-wide behaviour, web-api §7.4).
    strip_null: bool = False
    #: Errors a resolver wants in the response without failing its field,
    #: e.g. a scheduler that could not be reached by a forwarded mutation
    #: (web-api §11.3). Each is a GraphQL error object ``{"message": ...}``.
    extra_errors: list[dict[str, Any]] = field(default_factory=list)
