"""``/cylc/userprofile`` and ``/cylc/version`` (web-api §13)."""

from __future__ import annotations

import getpass
import json
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__
from .identity import Identity, camel_case, hub_mode, identify, permissions

__all__ = ["UserProfileHandler", "VersionHandler", "derive_initials", "extension_urls"]


def derive_initials(name: str) -> str:
    """Up to two capitals from ``name``'s words: ``"jane.doe"`` → ``"JD"``, ``"bob"`` → ``"B"``."""
    words = [word for word in re.split(r"[^0-9A-Za-z]+", name) if word]
    return "".join(word[0] for word in words[:2]).upper() or name[:1].upper()


def extension_urls(serverapp: Any, base_url: str) -> dict[str, str]:
    """Loaded server extensions with a page of their own: name → URL under ``base_url``.

    An extension's page is its ``extension_url`` (else ``default_url``),
    without a trailing slash; extensions whose page is the root are left out.
    """
    urls: dict[str, str] = {}
    if serverapp is None:
        return urls
    # Keyed by package ("uiserver"); each app knows its own name ("cylc").
    for apps in serverapp.extension_manager.extension_apps.values():
        for app in apps:
            page = getattr(app, "extension_url", "/") or "/"
            if page.strip("/") == "":
                page = getattr(app, "default_url", "/") or "/"
            page = page.split("#", 1)[0].rstrip("/")
            if page:
                urls[app.name] = url_path_join(base_url, page)
    return urls


class _ProfileBase(APIHandler):
    @property
    def owner(self) -> str:
        return self.settings.get("cylc_owner") or getpass.getuser()

    def identity(self) -> Identity:
        identity = identify(self, self.owner)
        if identity is None:
            raise web.HTTPError(403)
        return identity


class UserProfileHandler(_ProfileBase):
    """Who the user is, whose server this is, and what they may do."""

    @web.authenticated
    def get(self) -> None:
        identity = self.identity()
        model = identity.model
        if identity.as_owner:
            # Jupyter's model names an anonymous stand-in; the owner is asking.
            name = display_name = identity.user
            initials = derive_initials(identity.user)
        else:
            name = model.name or model.username
            display_name = model.display_name or name
            initials = model.initials or derive_initials(model.username)
        profile = {
            "username": identity.user,
            "name": name,
            "display_name": display_name,
            "initials": initials,
            "avatar_url": model.avatar_url,
            "color": model.color,
            "owner": self.owner,
            "permissions": sorted(camel_case(op) for op in permissions(self.settings, identity)),
            "mode": "multi user" if hub_mode() else "single user",
            "extensions": extension_urls(self.settings.get("serverapp"), self.base_url),
        }
        self.finish(json.dumps(profile, separators=(",", ":")))


class VersionHandler(_ProfileBase):
    """The installed cylc-flow and our own version; needs ``read``."""

    @web.authenticated
    def get(self) -> None:
        if "read" not in permissions(self.settings, self.identity()):
            raise web.HTTPError(403, "Forbidden")
        try:
            cylc_flow: str | None = version("cylc-flow")
        except PackageNotFoundError:
            cylc_flow = None
        self.finish(
            json.dumps(
                {"cylc-flow": cylc_flow, "cylc-uiserver": __version__}, separators=(",", ":")
            )
        )
