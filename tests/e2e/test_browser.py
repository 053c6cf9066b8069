"""The built web UI in headless Chromium against the real server and a real
scheduler (simulation mode): login by token, sidebar, tree, table, a command
through the menu, the toolbar and GraphiQL.

Needs the UI build (``cd frontend && npm ci && npm run build``), Python
Playwright (``pip install playwright``; no browser download: it drives
``/usr/bin/chromium``) and cylc-flow; skipped otherwise.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.cylc_harness import SMALL
from tests.e2e.browser_support import (  # noqa: F401 (fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    REQUIREMENTS,
    SHOTS,
    cylc_home,
    extension,
    harness,
    harness_environ,
    jp_server_config,
    until,
)
from tests.jupyter_loop import on_server_loop

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = [pytest.mark.timeout(240), *REQUIREMENTS]


@on_server_loop(timeout=200)
async def test_ui_drives_a_real_workflow(harness_environ, jp_serverapp, jp_fetch, jp_http_port, jp_base_url, harness):
    # jp_fetch is requested for its side effect: it makes pytest-jupyter start listening.
    async with extension(jp_serverapp) as app:
        harness.write_workflow("e2e/run1", SMALL)
        await asyncio.to_thread(harness.play, "e2e/run1", pause=True)
        await until(lambda: (e := next((e for k, e in app.registry.entries.items() if k.endswith("/e2e/run1")), None))
                    is not None and e.running, 30, "workflow discovered")

        token = jp_serverapp.identity_provider.token
        root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}cylc/"
        SHOTS.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(30_000)
                page.on("pageerror", lambda e: errors.append(str(e)))
                xsrf_headers: list[str | None] = []
                page.on("request", lambda r: xsrf_headers.append(r.headers.get("x-xsrftoken"))
                        if r.url.endswith("/cylc/graphql") else None)

                # Token login: the UI removes the token from the address bar.
                await page.goto(f"{root}?token={token}")
                await page.wait_for_selector(".sidebar .row:has-text('run1')")
                assert "token=" not in page.url

                # Sidebar: grouped under e2e (flattened to "e2e/run1"), paused.
                row = page.locator(".sidebar .row", has_text="run1")
                await row.locator(".wf-icon.paused").wait_for()

                # Workspace: the tree builds from the real Workflow subscription.
                await row.click()
                await page.wait_for_url("**#/workspace/e2e/run1")
                await page.wait_for_selector(".tree-view .row.cycle:has-text('1')")
                foo = page.locator(".tree-view .row.task", has_text="foo").first
                await foo.wait_for()
                await page.wait_for_selector(".tree-view .row.family:has-text('FAM')")
                assert "paused" in (await page.locator(".toolbar .msg").text_content() or "")
                await page.wait_for_selector(".toolbar .sync.live")
                await page.screenshot(path=str(SHOTS / "e2e-tree.png"))

                # Keyboard: Home, ↓ to FAM, Enter collapses it, m opens its menu, Esc closes it.
                await page.locator(".tree-view .rows").focus()
                await page.keyboard.press("Home")
                await page.keyboard.press("ArrowDown")
                assert "FAM" in (await page.locator(".tree-view .row.active").text_content() or "")
                await page.keyboard.press("Enter")
                await page.locator(".tree-view .row.task", has_text="fam_a").wait_for(state="detached")
                await page.keyboard.press("m")
                assert (await page.locator(".cmd-menu .title").text_content() or "").strip() == "1/FAM"
                await page.keyboard.press("Escape")
                await page.locator(".cmd-menu").wait_for(state="detached")
                await page.keyboard.press("ArrowRight")
                await page.locator(".tree-view .row.task", has_text="fam_a").wait_for()

                # Table: one row per task proxy, with its cycle point.
                await page.locator(".tab", has_text="Table").click()
                foo_row = page.locator(".table-view .trow", has_text="foo").first
                await foo_row.wait_for()
                assert "1" in (await foo_row.locator(".cell").nth(2).text_content() or "")
                await page.screenshot(path=str(SHOTS / "e2e-table.png"))
                await page.locator(".tab", has_text="Tree").click()

                # The workflow menu follows "Valid for" from introspection: paused → resume, not pause.
                await page.locator(".toolbar .wf").click()
                await page.wait_for_selector(".cmd-menu .item")
                resume = page.locator(".cmd-menu .item", has=page.locator(".name", has_text="resume"))
                pause = page.locator(".cmd-menu .item", has=page.locator(".name", has_text="pause"))
                assert await resume.get_attribute("aria-disabled") == "false"
                assert await pause.get_attribute("aria-disabled") == "true"
                await page.wait_for_timeout(200)  # let the menu finish fading in for the screenshot
                await page.screenshot(path=str(SHOTS / "e2e-workflow-menu.png"))
                await page.keyboard.press("Escape")

                # Hold foo through its command menu; the held badge comes back over the websocket.
                await foo.locator(".icon-btn").click()
                await page.locator(".cmd-menu .item", has_text="hold").first.click()
                await page.wait_for_selector(".notice:has-text('hold')")
                assert "failed" not in (await page.locator(".notice").last.text_content() or "").lower()
                await page.wait_for_function(
                    """() => [...document.querySelectorAll('.tree-view .row.task')]
                        .some(r => r.textContent.includes('foo') && r.querySelector('svg[aria-label*="held"]'))""",
                    timeout=30_000,
                )
                await page.screenshot(path=str(SHOTS / "e2e-held.png"))
                # Updates must leave unchanged fields alone (updated(stripNull: true), web-api §7.4):
                # after the hold the workflow is still paused and foo still in cycle 1. Checked
                # at the end so the rest of the UI is still exercised if this fails.
                msg_after_hold = await page.locator(".toolbar .msg").text_content() or ""
                await page.locator(".tab", has_text="Table").click()
                cycle_after_hold = await foo_row.locator(".cell").nth(2).text_content() or ""
                await page.locator(".tab", has_text="Tree").click()
                # Mutations went over HTTP with the XSRF header from the cookie.
                assert xsrf_headers and all(xsrf_headers), xsrf_headers

                # GraphiQL: a query over HTTP (cookie + XSRF header), in the same tab.
                await page.goto(f"{root}#/graphiql")
                await page.wait_for_selector(".graphiql-container")
                await page.locator(".graphiql-execute-button").click()
                await page.wait_for_function(
                    "() => (document.querySelector('.result-window')?.textContent ?? '').includes('e2e/run1')",
                    timeout=30_000,
                )
                await page.screenshot(path=str(SHOTS / "e2e-graphiql.png"))

                # Back to the workspace (a fresh subscription and burst).
                await page.goto(f"{root}#/workspace/e2e/run1")
                await page.wait_for_selector(".toolbar .sync.live")

                # Offline: the banner shows while the socket is down; on reconnect the
                # subscriptions resume and the tree is rebuilt from a fresh burst.
                await page.context.set_offline(True)
                await page.wait_for_selector(".offline", timeout=30_000)
                await page.wait_for_selector(".toolbar .sync.off")
                await page.context.set_offline(False)
                await page.wait_for_selector(".offline", state="detached", timeout=60_000)
                await page.wait_for_selector(".toolbar .sync.live", timeout=30_000)
                await page.locator(".tree-view .row.task", has_text="foo").first.wait_for()

                # Toolbar: resume, and the status follows.
                await page.locator(".toolbar .btn", has_text="Resume").click()
                await page.wait_for_selector(".toolbar .wf-icon.running", timeout=30_000)
            finally:
                await browser.close()
        assert not errors, errors
        assert "paused" in msg_after_hold, f"workflow status lost after an update ({msg_after_hold!r}): unset fields not stripped?"
        assert "1" in cycle_after_hold, f"cycle point lost after an update ({cycle_after_hold!r}): unset fields not stripped?"
