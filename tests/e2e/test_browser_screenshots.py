"""Screenshots of the main views on real workflows, with checks that each view
shows what it should. Saved to ``test-artifacts/screenshots/`` (git-ignored);
with ``UPDATE_README_SCREENSHOT=1`` the workspace tree shot also replaces
``docs/screenshot.png`` (the README's picture)."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest

from tests.cylc_harness import SMALL
from tests.e2e.browser_support import (  # noqa: F401 (fixtures)
    REPO, REQUIREMENTS, SHOTS, SHOWCASE, SHOWCASE_STATES, chromium_page, cylc_home, discovered, extension,
    harness, harness_environ, jp_server_config, open_workspace, shot, task_row,
)
from tests.jupyter_loop import on_server_loop

pytestmark = [pytest.mark.timeout(180), *REQUIREMENTS]

README_SHOT = REPO / "docs" / "screenshot.png"
MAIN = "ops/forecast"
OTHER = "ops/small"
#: SHOWCASE with ``ice`` failing in cycle 2 only, so the cycles differ.
FLOW = SHOWCASE.replace("fail cycle points = all", "fail cycle points = 2")
STATES = {task: ("succeeded" if state == "failed" and not task.startswith("2/") else state)
          for task, state in SHOWCASE_STATES.items()}


def settled(harness) -> None:
    for task, state in STATES.items():
        if state != "waiting":
            harness.wait_for_task_state(MAIN, task, state, timeout=60)


@on_server_loop(timeout=170)
async def test_screenshots_of_the_main_views(harness_environ, jp_serverapp, jp_fetch, jp_http_port, jp_base_url,
                                             harness):
    # jp_fetch is requested for its side effect: it makes pytest-jupyter start listening.
    async with extension(jp_serverapp) as app:
        harness.write_workflow(MAIN, FLOW)
        harness.write_workflow(OTHER, SMALL)
        await asyncio.to_thread(harness.play, MAIN)
        await asyncio.to_thread(harness.play, OTHER, pause=True)
        await discovered(app, MAIN)
        await discovered(app, OTHER)
        await asyncio.to_thread(settled, harness)

        root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}cylc/"
        errors: list[str] = []
        async with chromium_page(errors) as page:
            await page.emulate_media(color_scheme="light")
            await open_workspace(page, root, jp_serverapp.identity_provider.token, MAIN)

            # The tree of a running workflow: three cycles, the MODEL family, every state.
            for cycle in "123":
                await page.wait_for_selector(f".tree-view .row.cycle:has(.name:text-is('{cycle}'))")
            assert await page.locator(".tree-view .row.family", has_text="MODEL").count() == 3
            await page.wait_for_function(
                """() => ['running', 'failed', 'succeeded', 'waiting'].every(s =>
                    [...document.querySelectorAll('.tree-view .row.task .state')].some(e => e.textContent.trim() === s))""")
            # Cycle 2's failed member opened down to its job's details, and selected.
            ice = task_row(page, "ice").nth(1)  # newest cycle first: 3, 2, 1
            assert (await ice.locator(".state").text_content() or "").strip() == "failed"
            await ice.locator(".caret:not(.hidden)").click()
            job = page.locator(".tree-view .row.job").first
            await job.wait_for()
            assert "failed" in (await job.text_content() or "")
            await job.locator(".caret").click()
            await page.locator(".tree-view .row.details").wait_for()
            await ice.click()
            await page.locator(".sidebar .row", has_text="small").locator(".wf-icon.paused").wait_for()
            await page.mouse.move(0, 0)
            await page.wait_for_timeout(300)  # hover and transition effects settle
            await shot(page, "readme-tree")
            if os.environ.get("UPDATE_README_SCREENSHOT") == "1":
                README_SHOT.parent.mkdir(exist_ok=True)
                shutil.copyfile(SHOTS / "readme-tree.png", README_SHOT)

            # The command menu of a failed task.
            await ice.locator(".icon-btn").click()
            await page.locator(".cmd-menu .item").first.wait_for()
            assert (await page.locator(".cmd-menu .title").text_content() or "").strip() == "2/ice"
            await page.wait_for_timeout(200)  # the menu's fade-in
            await shot(page, "command-menu")
            await page.keyboard.press("Escape")

            # Table.
            await page.locator(".tab", has_text="Table").click()
            await page.wait_for_function("() => document.querySelectorAll('.table-view .trow').length === 15")
            await shot(page, "workspace-table")
            await page.locator(".tab", has_text="Tree").click()

            # Dashboard: both workflows with their states.
            await page.goto(f"{root}#/")
            table = page.locator(".dash .wtable")
            await table.locator("tr", has_text=MAIN).wait_for()
            await table.locator("tr", has_text=OTHER).wait_for()
            assert "paused" in (await table.locator("tr", has_text=OTHER).text_content() or "")
            await shot(page, "dashboard")

            # Settings, and the tree again in the dark theme.
            await page.goto(f"{root}#/settings")
            await page.locator(".settings .btn", has_text="Dark").click()
            assert await page.evaluate("() => document.documentElement.dataset.theme") == "dark"
            await shot(page, "settings-dark")
            await page.goto(f"{root}#/workspace/{MAIN}")
            await page.wait_for_selector(".toolbar .sync.live")
            await page.wait_for_selector(".tree-view .row.task")
            await shot(page, "workspace-tree-dark")
        assert not errors, errors
