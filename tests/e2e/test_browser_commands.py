"""Task commands through the command menu, in Chromium, against a real scheduler."""

from __future__ import annotations

import asyncio

import pytest

from tests.cylc_harness import SMALL
from tests.e2e.browser_support import (  # noqa: F401 (fixtures)
    REQUIREMENTS, chromium_page, cylc_home, discovered, extension, harness, harness_environ,
    jp_server_config, mark_page, assert_not_reloaded, open_workspace, shot, task_row,
)
from tests.jupyter_loop import on_server_loop

pytestmark = [pytest.mark.timeout(180), *REQUIREMENTS]

HELD_FOO = """() => [...document.querySelectorAll('.tree-view .row.task')]
    .filter(r => r.querySelector('.name')?.textContent.trim() === 'foo')
    .map(r => r.querySelector('.icon-btn svg')?.getAttribute('aria-label') ?? '')"""


async def run_from_menu(page, row, command: str) -> None:
    """Open ``row``'s command menu and click ``command`` (exact name)."""
    await row.locator(".icon-btn").click()
    await page.locator(".cmd-menu .item").first.wait_for()
    # By exact name: "hold" must not pick "set_hold_point" and the like.
    names = [n.strip() for n in await page.locator(".cmd-menu .item .name").all_text_contents()]
    assert command in names, names
    item = page.locator(".cmd-menu .item").nth(names.index(command))
    assert await item.get_attribute("aria-disabled") == "false", f"{command} is disabled in the menu"
    await item.click()
    await page.locator(".cmd-menu").wait_for(state="detached")


@on_server_loop(timeout=150)
async def test_release_from_the_menu_clears_held(harness_environ, jp_serverapp, jp_fetch, jp_http_port,
                                                 jp_base_url, harness):
    # jp_fetch is requested for its side effect: it makes pytest-jupyter start listening.
    async with extension(jp_serverapp) as app:
        harness.write_workflow("e2e/hold", SMALL)
        await asyncio.to_thread(harness.play, "e2e/hold", pause=True)
        await discovered(app, "e2e/hold")
        root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}cylc/"
        errors: list[str] = []
        async with chromium_page(errors) as page:
            await open_workspace(page, root, jp_serverapp.identity_provider.token, "e2e/hold")
            await mark_page(page)
            foo = task_row(page, "foo").first
            await foo.wait_for()
            labels = await page.evaluate(HELD_FOO)
            assert labels and not any("held" in label for label in labels), labels

            await run_from_menu(page, foo, "hold")
            await page.wait_for_function(f"() => ({HELD_FOO})().some(l => l.includes('held'))", timeout=30_000)
            await shot(page, "tree-held")

            await run_from_menu(page, foo, "release")
            await page.wait_for_function(f"() => !({HELD_FOO})().some(l => l.includes('held'))", timeout=30_000)
            await shot(page, "tree-released")
            await assert_not_reloaded(page)
            # Both commands reported success.
            notices = await page.locator(".notice").all_text_contents()
            assert not await page.locator(".notice.bad").count(), notices
        assert not errors, errors
