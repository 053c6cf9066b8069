"""The Tree follows a running workflow live: cycles, families, tasks and jobs
change state in the open page, without a reload, as the scheduler runs."""

from __future__ import annotations

import asyncio

import pytest

from tests.cylc_harness import SMALL
from tests.e2e.browser_support import (  # noqa: F401 (fixtures)
    REQUIREMENTS, assert_not_reloaded, chromium_page, cylc_home, discovered, extension, harness,
    harness_environ, jp_server_config, mark_page, open_workspace, playwright_api, shot, task_row,
)
from tests.jupyter_loop import on_server_loop

pytestmark = [pytest.mark.timeout(180), *REQUIREMENTS]

#: Records, per Tree row ("type:name"), the sequence of states it has shown,
#: on every DOM change: transient states (a 2 s run) are not missed.
RECORDER = """() => {
    const seen = window.__seen = {};
    const record = () => {
        for (const r of document.querySelectorAll('.tree-view .row:not(.details)')) {
            const type = ['cycle', 'family', 'task', 'job'].find(t => r.classList.contains(t));
            const name = r.querySelector('.name')?.textContent.trim();
            const state = r.querySelector(type === 'job' ? '.meta' : '.state')?.textContent.trim();
            const key = type + ':' + name, list = (seen[key] ??= []);
            if (state && list[list.length - 1] !== state) list.push(state);
        }
    };
    record();
    new MutationObserver(record).observe(document.querySelector('.tree-view'),
        {subtree: true, childList: true, characterData: true});
}"""


async def seen(page) -> dict[str, list[str]]:
    return await page.evaluate("() => window.__seen")


async def wait_seen(page, key: str, state: str, timeout: float = 30_000) -> None:
    """Wait until row ``key`` shows ``state``; fail with everything recorded."""
    try:
        await page.wait_for_function(
            f"() => (window.__seen[{key!r}] ?? []).at(-1) === {state!r}", timeout=timeout)
    except playwright_api.TimeoutError:
        raise AssertionError(f"{key} never showed {state}; recorded: {await seen(page)}") from None


def before(states: list[str], a: str, b: str) -> bool:
    return a in states and b in states and states.index(a) < states.index(b)


@on_server_loop(timeout=170)
async def test_tree_follows_a_running_workflow(harness_environ, jp_serverapp, jp_fetch, jp_http_port,
                                               jp_base_url, harness):
    # jp_fetch is requested for its side effect: it makes pytest-jupyter start listening.
    async with extension(jp_serverapp) as app:
        harness.write_workflow("e2e/live", SMALL)
        await asyncio.to_thread(harness.play, "e2e/live", pause=True)
        # Hold 1/bar so the run stops after FAM and the scheduler stays up for the checks.
        await asyncio.to_thread(harness.hold, "e2e/live", "1/bar")
        await discovered(app, "e2e/live")
        root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}cylc/"
        errors: list[str] = []
        async with chromium_page(errors) as page:
            await open_workspace(page, root, jp_serverapp.identity_provider.token, "e2e/live")
            await mark_page(page)
            # Cycle 1 only (later cycles come first in the Tree).
            await page.locator(".tree-view input[aria-label='Filter by ID']").fill("1/*")
            await page.wait_for_selector(".tree-view .row.cycle:has-text('1')")
            foo = task_row(page, "foo").first
            # No job yet, so nothing to expand.
            assert await foo.locator(".caret.hidden").count() == 1
            assert not await foo.locator(".jobs .job-icon").count()
            await page.evaluate(RECORDER)
            start = await seen(page)
            assert start.get("task:foo") == ["waiting"], start
            assert start.get("cycle:1") == ["waiting"], start

            # Resume from outside the UI: everything after this arrives over the subscription.
            await asyncio.to_thread(harness.resume, "e2e/live")
            await page.wait_for_selector(".toolbar .wf-icon.running", timeout=30_000)

            # foo gets a job: its row becomes expandable and shows the job's row.
            await foo.locator(".caret:not(.hidden)").wait_for(timeout=30_000)
            await foo.locator(".jobs .job-icon").first.wait_for()
            await foo.locator(".caret").click()
            assert await foo.get_attribute("aria-expanded") == "true"
            job = page.locator(".tree-view .row.job", has_text="#01")
            await job.wait_for()
            await wait_seen(page, "task:foo", "succeeded")
            await wait_seen(page, "job:#01", "succeeded")
            await job.locator(".caret").click()
            details = page.locator(".tree-view .row.details")
            await details.wait_for()
            text = await details.text_content() or ""
            for label in ("Platform", "Job runner", "Submitted", "Started", "Finished"):
                assert label in text, text
            started = await details.locator("div", has_text="Started").locator("dd").text_content()
            finished = await details.locator("div", has_text="Finished").locator("dd").text_content()
            assert started and started.strip() != "—" and finished and finished.strip() != "—", text
            await shot(page, "tree-live-job")

            # Then the family members, the family and the cycle.
            for member in ("fam_a", "fam_b"):
                await wait_seen(page, f"task:{member}", "succeeded")
            await wait_seen(page, "family:FAM", "succeeded")
            history = await seen(page)
            assert before(history["task:foo"], "running", "succeeded"), history
            assert before(history["job:#01"], "running", "succeeded") or history["job:#01"] == ["succeeded"], history
            assert before(history["family:FAM"], "running", "succeeded"), history
            for member in ("fam_a", "fam_b"):
                assert before(history[f"task:{member}"], "running", "succeeded"), history
            assert "running" in history["cycle:1"], history
            # bar, held, waits: the scheduler never ran it.
            bar_icon = task_row(page, "bar").first.locator(".icon-btn svg")
            assert "held" in (await bar_icon.get_attribute("aria-label") or "")
            assert harness.task_states("e2e/live").get("1/bar") in (None, "waiting")
            await shot(page, "tree-live")
            await assert_not_reloaded(page)
        assert not errors, errors
