"""Who is asking: the Jupyter user reduced to the name Cylc authorises, and their permissions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jupyter_server.auth import User
    from jupyter_server.base.handlers import JupyterHandler

__all__ = [
    "ALL_OPERATIONS",
    "Authorizer",
    "Identity",
    "camel_case",
    "hub_mode",
    "identify",
    "permissions",
]

#: Every Cylc operation (web-api §12): ``read`` and each mutation, snake_case.
ALL_OPERATIONS = frozenset(
    {
        "broadcast", "clean", "ext_trigger", "hold", "kill", "message", "pause", "play",
        "poll", "read", "release", "release_hold_point", "reload", "remove", "resume",
        "scan", "set", "set_graph_window_extent", "set_hold_point", "set_verbosity",
        "stop", "trigger",
    }
)  # fmt: skip


class Authorizer(Protocol):
    """What the transport needs from Cylc's authorisation (``uiserver.auth``)."""

    def permissions(self, user: str, token_authenticated: bool) -> frozenset[str]:
        """The snake_case operations ``user`` may perform."""
        ...


try:
    from ..auth import camel_case
except ImportError:  # uiserver.auth not there yet: the same rule, written here

    def camel_case(operation: str) -> str:
        """``set_hold_point`` → ``setHoldPoint``."""
        head, *rest = operation.split("_")
        return head + "".join(part.capitalize() for part in rest)


def hub_mode() -> bool:
    """Whether this server is a JupyterHub single-user server (web-api §13.1)."""
    return bool(os.environ.get("JUPYTERHUB_SINGLEUSER_APP"))


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated request's user, as Cylc sees them."""

    #: The name Cylc authorises: the owner for token-authenticated requests
    #: and for Jupyter's anonymous single-user identities, else the Jupyter
    #: user name.
    user: str
    #: Whether Jupyter authenticated the request with its token.
    token_authenticated: bool
    #: Jupyter's identity model (display name, initials, avatar, colour).
    model: User
    #: Whether :attr:`user` is the owner only because nobody else could be
    #: asking (token or standalone login); the model then names nobody.
    as_owner: bool


def identify(handler: JupyterHandler, owner: str) -> Identity | None:
    """Return who sent ``handler``'s request, or ``None`` if nobody logged in.

    Outside JupyterHub, Jupyter's default identity providers do not tell
    people apart: every login (by token or password) gets a random
    "Anonymous" user, and only the owner's token or password could have
    produced it. Those requests are therefore the owner's; so is any
    request carrying the Jupyter token (web-api §3).
    """
    model = handler.current_user
    if model is None:
        return None
    token = bool(handler.token_authenticated)
    as_owner = token or (not hub_mode() and _anonymous_identities(handler))
    user = owner if as_owner else model.username
    return Identity(user=user, token_authenticated=token, model=model, as_owner=as_owner)


def _anonymous_identities(handler: JupyterHandler) -> bool:
    from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider

    return type(handler.identity_provider) in (IdentityProvider, PasswordIdentityProvider)


def permissions(settings: Mapping[str, Any], identity: Identity) -> frozenset[str]:
    """The snake_case operations ``identity`` may perform.

    Asks ``settings["cylc_authorizer"]``; without one, the owner and token
    bearers may do everything and everybody else nothing.
    """
    authorizer: Authorizer | None = settings.get("cylc_authorizer")
    if authorizer is None:
        owner = settings.get("cylc_owner")
        if identity.token_authenticated or identity.user == owner:
            return ALL_OPERATIONS
        return frozenset()
    return frozenset(authorizer.permissions(identity.user, identity.token_authenticated))
