"""``/cylc/subscriptions``: the Jupyter-authenticated GraphQL websocket (web-api §3, §4)."""

from __future__ import annotations

import getpass
from typing import Any

from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web

from .identity import Identity, identify
from .operations import ConnectionContext
from .websocket import GraphQLWebSocketHandler

__all__ = ["SubscriptionsHandler"]


class SubscriptionsHandler(WebSocketMixin, GraphQLWebSocketHandler, JupyterHandler):
    """The GraphQL websocket, open to any Jupyter-authenticated user.

    The upgrade is refused with 403 without a login cookie, ``?token=`` or
    ``Authorization: token``; Jupyter's origin check applies to cookie
    logins; Jupyter's websocket pings keep running alongside the
    protocols' own keep-alives.
    """

    _identity: Identity | None = None

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Check the user, then upgrade."""
        owner = self.settings.get("cylc_owner") or getpass.getuser()
        self._identity = identify(self, owner)
        if self._identity is None:
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def connection_context(self) -> ConnectionContext:
        assert self._identity is not None  # get() let only users through
        return ConnectionContext(
            user=self._identity.user,
            request=self.request,
            extra={"token_authenticated": self._identity.token_authenticated},
        )

    def on_close(self) -> None:
        # Jupyter's ping timer would only notice the closed socket on its next tick.
        if self.ping_callback is not None:
            self.ping_callback.stop()
        super().on_close()
