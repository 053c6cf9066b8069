"""Serving the built web UI (``frontend/`` → ``uiserver/static/ui``) at ``/cylc/``.

``index.html`` is always revalidated and sets the ``_xsrf`` cookie the UI
copies into its ``X-XSRFToken`` header; Vite's hashed assets never change
under a name, so browsers may keep them for a year.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from tornado import web

__all__ = ["DEFAULT_BUILD_DIR", "UIRedirectHandler", "UIStaticHandler", "static_handlers"]

#: Where ``npm run build`` in ``frontend/`` writes the UI.
DEFAULT_BUILD_DIR = Path(__file__).resolve().parent.parent / "static" / "ui"

#: Vite names assets ``name-<8+ chars of base64url hash>.ext``.
_HASHED = re.compile(r"(^|/)assets/[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")
_YEAR = 365 * 24 * 3600

_NOT_BUILT = (
    "<!doctype html><title>Cylc UI not built</title>"
    "<h1>The Cylc web UI has not been built</h1>"
    "<p>Run <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>.</p>"
)


class UIStaticHandler(JupyterHandler, web.StaticFileHandler):
    """The UI's files, for logged-in users only (no Cylc permission needed).

    Unauthenticated browsers are redirected to Jupyter's login page, as for
    any Jupyter page. XSRF is not checked: these are plain GETs, and
    JupyterHub 4.1+ would otherwise refuse the first page load.
    """

    def initialize(self, path: str, default_filename: str | None = "index.html") -> None:
        web.StaticFileHandler.initialize(self, path=path, default_filename=default_filename)

    def check_xsrf_cookie(self) -> None:
        """No XSRF check for static GETs (see the class docstring)."""
        return None

    @web.authenticated
    async def get(self, path: str, include_body: bool = True) -> None:
        """Send a file; ``index.html`` for the mount point itself."""
        if not (Path(self.root) / "index.html").is_file():
            self.set_status(404)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(_NOT_BUILT)
            return
        await web.StaticFileHandler.get(self, path, include_body=include_body)

    def _is_index(self) -> bool:
        return (self.absolute_path or "").endswith("index.html")

    def set_extra_headers(self, path: str) -> None:
        """Revalidate the entry page (and give it the XSRF cookie); cache hashed assets for good."""
        if self._is_index():
            self.set_header("Cache-Control", "no-cache")
            # Reading the property sets the ``_xsrf`` cookie if it is missing.
            self.xsrf_token  # noqa: B018
        elif _HASHED.search(path):
            self.set_header("Cache-Control", f"public, max-age={_YEAR}, immutable")
        else:
            self.set_header("Cache-Control", "no-cache")

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        """Long-lived only for hashed assets (tornado adds ``Expires`` from this)."""
        return _YEAR if _HASHED.search(path) else 0

    def compute_etag(self) -> str | None:
        """Hash-based ETags so ``no-cache`` revalidation is answered with 304."""
        return web.StaticFileHandler.compute_etag(self)


class UIRedirectHandler(JupyterHandler):
    """``/cylc`` → 301 ``/cylc/`` (relative paths in the UI need the slash)."""

    def get(self) -> None:
        """Redirect to the same path with a trailing slash, keeping the query."""
        query = f"?{self.request.query}" if self.request.query else ""
        self.redirect(self.request.path + "/" + query, permanent=True)


def static_handlers(base_url: str = "/", build_dir: Path | None = None) -> list[tuple[str, type, dict[str, Any]]]:
    """Routes serving the UI build at ``<base_url>cylc/``.

    ``base_url`` is the prefix to put in front of ``cylc``: ``"/"`` when the
    routes go into ``ExtensionApp.handlers`` (which prepends Jupyter's own
    ``base_url``), or Jupyter's ``base_url`` when adding them to the web app
    directly. ``build_dir`` defaults to :data:`DEFAULT_BUILD_DIR`.
    """
    prefix = "/" + base_url.strip("/")
    prefix = (prefix.rstrip("/") + "/cylc") if prefix != "/" else "/cylc"
    root = str(build_dir or DEFAULT_BUILD_DIR)
    # Never shadow the API routes, whatever order the routes are registered in.
    not_api = r"(?!(?:graphql|subscriptions|userprofile|version)(?:/|$))"
    return [
        (prefix, UIRedirectHandler, {}),
        (prefix + "/(" + not_api + ".*)", UIStaticHandler, {"path": root, "default_filename": "index.html"}),
    ]
