"""The Table view in Chromium: column sorting and the ID / state filters,
on a real workflow whose tasks have settled in different states."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.browser_support import (  # noqa: F401 (fixtures)
    REQUIREMENTS, SHOWCASE, SHOWCASE_STATES, chromium_page, cylc_home, discovered, extension, harness,
    harness_environ, jp_server_config, open_workspace, shot,
)
from tests.e2e.browser_support import playwright_api
from tests.jupyter_loop import on_server_loop

pytestmark = [pytest.mark.timeout(180), *REQUIREMENTS]

#: (state, name, cycle) of every rendered Table row, top to bottom.
ROWS = """() => [...document.querySelectorAll('.table-view .trow')].map(r => {
    const c = r.querySelectorAll('.cell');
    return [c[0].querySelector(':scope > span').textContent.trim(), c[1].textContent.trim(), c[2].textContent.trim()];
})"""


def settled(harness, workflow: str) -> None:
    """Wait until every SHOWCASE task that runs has reached its final state."""
    for task, state in SHOWCASE_STATES.items():
        if state != "waiting":
            harness.wait_for_task_state(workflow, task, state, timeout=60)


async def rows(page) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in await page.evaluate(ROWS)]


async def wait_rows(page, predicate: str, what: str, timeout: float = 30_000) -> None:
    """Wait until the JS ``predicate(rows)`` holds; fail with the rows shown."""
    try:
        await page.wait_for_function(f"() => ({predicate})(({ROWS})())", timeout=timeout)
    except playwright_api.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}; rows: {await rows(page)}") from None


async def click_header(page, label: str) -> str:
    """Click a column header; return its aria-sort afterwards."""
    header = page.locator(".table-view .th", has_text=label)
    await header.click()
    return await header.get_attribute("aria-sort") or ""


def by(key, *, reverse: bool = False):
    """Expected order: the column, then the Table's tie-break (cycle, name ascending)."""
    def order(items):
        items = sorted(items, key=lambda r: (int(r[2]), r[1]))
        return sorted(items, key=key, reverse=reverse)
    return order


@on_server_loop(timeout=170)
async def test_table_sorts_and_filters(harness_environ, jp_serverapp, jp_fetch, jp_http_port, jp_base_url, harness):
    # jp_fetch is requested for its side effect: it makes pytest-jupyter start listening.
    async with extension(jp_serverapp) as app:
        harness.write_workflow("e2e/table", SHOWCASE)
        await asyncio.to_thread(harness.play, "e2e/table")
        await discovered(app, "e2e/table")
        await asyncio.to_thread(settled, harness, "e2e/table")

        root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}cylc/"
        errors: list[str] = []
        async with chromium_page(errors) as page:
            await open_workspace(page, root, jp_serverapp.identity_provider.token, "e2e/table")
            await page.locator(".tab", has_text="Table").click()
            expected = sorted((state, task.split("/")[1], task.split("/")[0])
                              for task, state in SHOWCASE_STATES.items())
            await wait_rows(page, f"rs => JSON.stringify(rs.map(r => r.join(' ')).sort()) === {expected_json(expected)}",
                            "every task in its settled state")
            everything = await rows(page)

            # Default: newest cycle first.
            assert [r[2] for r in everything] == sorted((r[2] for r in everything), reverse=True)
            assert "15 tasks" in (await page.locator(".table-view .count").text_content() or "")
            await shot(page, "table")

            # Name: ascending, then descending, then back to the default tie-break order.
            assert await click_header(page, "Task") == "ascending"
            assert await rows(page) == by(lambda r: r[1])(everything)
            assert await click_header(page, "Task") == "descending"
            assert await rows(page) == by(lambda r: r[1], reverse=True)(everything)
            await shot(page, "table-sorted-name-desc")
            assert await click_header(page, "Task") == "none"
            assert await rows(page) == by(lambda r: 0)(everything)

            # Cycle point, both ways (a new header replaces the sort).
            assert await click_header(page, "Cycle point") == "ascending"
            assert [r[2] for r in await rows(page)] == sorted(r[2] for r in everything)
            assert await click_header(page, "Cycle point") == "descending"
            assert [r[2] for r in await rows(page)] == sorted((r[2] for r in everything), reverse=True)

            # State: in the UI's state order (waiting … running, failed, succeeded).
            order = ["waiting", "expired", "preparing", "submit-failed", "submitted", "running", "failed", "succeeded"]
            assert await click_header(page, "State") == "ascending"
            assert await rows(page) == by(lambda r: order.index(r[0]))(everything)
            assert await click_header(page, "State") == "descending"
            assert await rows(page) == by(lambda r: order.index(r[0]), reverse=True)(everything)

            # ID glob: one cycle, then one task in every cycle.
            box = page.locator(".table-view input[aria-label='Filter by ID']")
            await box.fill("2/*")
            await wait_rows(page, "rs => rs.every(r => r[2] === '2')", "r => r[2] === '2'")
            assert sorted(r[1] for r in await rows(page)) == ["atmos", "ice", "ocean", "post", "prep"]
            await box.fill("*/at*")
            await wait_rows(page, "rs => rs.every(r => r[1] === 'atmos')", "r => r[1] === 'atmos'")
            assert sorted(r[2] for r in await rows(page)) == ["1", "2", "3"]
            await box.fill("nothing-like-this")
            await page.wait_for_selector(".table-view .empty:has-text('No tasks match')")
            await box.fill("")

            # State filter: failed only, then failed + running; Clear brings all back.
            await page.locator(".table-view .states .btn").click()
            await page.locator(".table-view .opt", has_text="failed").filter(has_not_text="submit").click()
            await wait_rows(page, "rs => rs.length === 3", "3 rows")
            assert sorted(await rows(page)) == [("failed", "ice", c) for c in "123"]
            await page.locator(".table-view .opt", has_text="running").click()
            await wait_rows(page, "rs => rs.length === 6", "6 rows")
            assert {(r[0], r[1]) for r in await rows(page)} == {("failed", "ice"), ("running", "atmos")}
            assert "2 states" in (await page.locator(".table-view .states .btn").first.text_content() or "")
            await shot(page, "table-state-filter")
            # Both filters at once.
            await box.fill("3/*")
            await wait_rows(page, "rs => rs.length === 2", "2 rows")
            assert sorted(await rows(page)) == [("failed", "ice", "3"), ("running", "atmos", "3")]
            await box.fill("")
            await page.locator(".table-view .pop-foot .btn", has_text="Clear").click()
            await wait_rows(page, "rs => rs.length === 15", "15 rows")
        assert not errors, errors


def expected_json(rows: list[tuple[str, str, str]]) -> str:
    """The sorted ``"state name cycle"`` strings as a JS string literal of JSON."""
    import json

    return json.dumps(json.dumps(sorted(" ".join(r) for r in rows), separators=(",", ":")))
