"""The static UI handler inside a real Jupyter server."""

from __future__ import annotations

import pytest
from tornado.httpclient import HTTPClientError

from tests.jupyter_loop import on_server_loop
from uiserver.transport.static import DEFAULT_BUILD_DIR, static_handlers

pytestmark = pytest.mark.timeout(60)

NO_TOKEN = {"Authorization": ""}


async def fetch(jp_fetch, *parts, **kwargs):
    kwargs.setdefault("raise_error", False)
    kwargs.setdefault("follow_redirects", False)
    return await jp_fetch(*parts, **kwargs)


@on_server_loop()
async def test_index_is_revalidated_and_sets_the_xsrf_cookie(ui_server, jp_fetch):
    r = await fetch(jp_fetch, "cylc/")
    assert r.code == 200
    assert b"index-AbCd1234.js" in r.body
    assert r.headers["Cache-Control"] == "no-cache"
    cookies = r.headers.get_list("Set-Cookie")
    assert any(c.startswith("_xsrf=") for c in cookies), cookies
    r2 = await fetch(jp_fetch, "cylc", "index.html")
    assert r2.code == 200 and r2.headers["Cache-Control"] == "no-cache"


@on_server_loop()
async def test_hashed_assets_are_immutable(ui_server, jp_fetch):
    r = await fetch(jp_fetch, "cylc", "assets", "index-AbCd1234.js")
    assert r.code == 200
    assert r.body == b"console.log('ui')"
    assert "immutable" in r.headers["Cache-Control"]
    assert "max-age=31536000" in r.headers["Cache-Control"]
    assert "javascript" in r.headers["Content-Type"]
    # Unhashed files are revalidated like index.html.
    r = await fetch(jp_fetch, "cylc", "favicon.svg")
    assert r.code == 200 and r.headers["Cache-Control"] == "no-cache"


@on_server_loop()
async def test_revalidation_gets_304(ui_server, jp_fetch):
    r = await fetch(jp_fetch, "cylc/")
    etag = r.headers["Etag"]
    r = await fetch(jp_fetch, "cylc/", headers={"If-None-Match": etag})
    assert r.code == 304


@on_server_loop()
async def test_mount_point_redirects_with_a_slash(ui_server, jp_fetch, jp_base_url):
    r = await fetch(jp_fetch, "cylc")
    assert r.code == 301
    assert r.headers["Location"] == f"{jp_base_url}cylc/"


@on_server_loop()
async def test_unauthenticated_browsers_go_to_login(ui_server, jp_fetch):
    r = await fetch(jp_fetch, "cylc/", headers=NO_TOKEN)
    assert r.code == 302
    assert "/login" in r.headers["Location"]
    r = await fetch(jp_fetch, "cylc", "assets", "index-AbCd1234.js", headers=NO_TOKEN)
    assert r.code == 302


@on_server_loop()
async def test_missing_files_and_escapes_are_404(ui_server, jp_fetch):
    assert (await fetch(jp_fetch, "cylc", "nope.js")).code == 404
    assert (await fetch(jp_fetch, "cylc", "..%2f..%2fetc%2fpasswd")).code in (403, 404)


@on_server_loop()
async def test_api_paths_are_never_shadowed(ui_server, jp_fetch):
    # No API handler is registered here, so the API paths must fall through to 404.
    for path in ("graphql", "subscriptions", "userprofile", "version"):
        assert (await fetch(jp_fetch, "cylc", path)).code == 404


@on_server_loop()
async def test_unbuilt_ui_explains_itself(jp_serverapp, jp_fetch, jp_base_url, tmp_path):
    jp_serverapp.web_app.add_handlers(".*$", static_handlers(jp_base_url, tmp_path / "empty"))
    r = await fetch(jp_fetch, "cylc/")
    assert r.code == 404
    assert b"npm run build" in r.body


def test_patterns():
    routes = static_handlers("/user/bob/", DEFAULT_BUILD_DIR)
    assert [p for p, *_ in routes][0] == "/user/bob/cylc"
    assert routes[1][0].startswith("/user/bob/cylc/(")
    assert static_handlers("/")[0][0] == "/cylc"
    assert DEFAULT_BUILD_DIR.parts[-2:] == ("static", "ui")
    assert HTTPClientError  # imported for clearer failures from jp_fetch
