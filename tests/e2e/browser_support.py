"""Shared pieces of the browser tests: fixtures, a Chromium page, waits, flows.

The browser tests drive the built web UI in ``/usr/bin/chromium`` (Python
Playwright, no browser download) against a real Jupyter server with the
``cylc`` extension and real schedulers in simulation mode
(``tests/cylc_harness.py``). Test modules import the fixtures they use from
here (pytest collects fixtures imported into a test module).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.cylc_harness import CylcHarness, cylc_executable, write_global_config
from tests.extension import extension, until  # noqa: F401 (re-exported for the tests)
from uiserver.transport.static import DEFAULT_BUILD_DIR

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = Path("/usr/bin/chromium")
CYLC = cylc_executable()
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
#: Screenshots of every main view (git-ignored).
SHOTS = Path(os.environ.get("UI_SHOTS_DIR", REPO / "test-artifacts" / "screenshots"))
VIEWPORT = {"width": 1400, "height": 900}

#: Skip unless the UI is built and Chromium and cylc-flow are installed.
REQUIREMENTS = [
    pytest.mark.skipif(not (DEFAULT_BUILD_DIR / "index.html").is_file(), reason="UI not built (npm run build in frontend/)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
    pytest.mark.skipif(not CYLC.exists(), reason=f"cylc-flow not installed ({CYLC})"),
]

#: Three integer cycles active at once, each with a family (MODEL) whose
#: members end in different states that then hold still: ``ocean`` succeeds,
#: ``ice`` fails (no retries; the workflow does not stall because ``atmos``
#: runs for an hour), ``atmos`` keeps running, ``post`` waits on the family.
#: ``prep`` succeeds first. 5 tasks x 3 cycles = 15 task proxies.
SHOWCASE = '''\
[meta]
    title = showcase
    description = three cycles of a small model run, one member failing
[scheduler]
    allow implicit tasks = False
[scheduling]
    cycling mode = integer
    initial cycle point = 1
    final cycle point = 3
    runahead limit = P2
    [[graph]]
        P1 = """
            prep => MODEL
            MODEL:succeed-all => post
        """
[runtime]
    [[root]]
        [[[simulation]]]
            default run length = PT1S
    [[prep, post]]
    [[MODEL]]
        [[[meta]]]
            title = the model members
    [[atmos]]
        inherit = MODEL
        [[[simulation]]]
            default run length = PT1H
    [[ocean]]
        inherit = MODEL
    [[ice]]
        inherit = MODEL
        [[[simulation]]]
            fail cycle points = all
'''

#: The settled state of every SHOWCASE task, by relative ID.
SHOWCASE_STATES = {
    f"{cycle}/{name}": state
    for cycle in (1, 2, 3)
    for name, state in {"prep": "succeeded", "atmos": "running", "ocean": "succeeded",
                        "ice": "failed", "post": "waiting"}.items()
}


# -- fixtures ------------------------------------------------------------------


@pytest.fixture
def cylc_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    write_global_config(home, cylc_bin=CYLC.parent)
    return home


@pytest.fixture
def harness(cylc_home: Path):
    h = CylcHarness(cylc_home, CYLC)
    try:
        yield h
    finally:
        h.cleanup()


@pytest.fixture
def jp_server_config(cylc_home):
    return {
        "ServerApp": {"jpserver_extensions": {"uiserver": True}},
        "CylcUIServer": {"run_dir": str(cylc_home / "cylc-run"), "scan_interval": 0.5, "linger": 0.0},
    }


@pytest.fixture
def harness_environ(jp_environ, harness, monkeypatch):
    for key, value in harness.env().items():
        monkeypatch.setenv(key, value)


# -- helpers -------------------------------------------------------------------


async def discovered(app, name: str, timeout: float = 30) -> None:
    """Wait until the server's registry lists ``name`` as running."""
    def running() -> bool:
        entry = next((e for k, e in app.registry.entries.items() if k.endswith("/" + name)), None)
        return entry is not None and entry.running
    await until(running, timeout, f"workflow {name} discovered")


@asynccontextmanager
async def chromium_page(errors: list[str]) -> AsyncIterator[object]:
    """A fresh headless Chromium page (1400x900); page errors go to ``errors``."""
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page
        finally:
            await browser.close()


async def open_workspace(page, root: str, token: str, name: str) -> None:
    """Log in by token, then open ``name``'s workspace and wait for live data."""
    await page.goto(f"{root}?token={token}")
    await page.wait_for_selector(f".sidebar .row:has-text('{name.rsplit('/', 1)[-1]}')")
    await page.goto(f"{root}#/workspace/{name}")
    await page.wait_for_selector(".toolbar .sync.live")
    await page.wait_for_selector(".tree-view .row.task")


async def mark_page(page) -> None:
    """Tag the document so :func:`assert_not_reloaded` can tell a reload."""
    await page.evaluate("() => { window.__e2eMark = 'kept' }")


async def assert_not_reloaded(page) -> None:
    assert await page.evaluate("() => window.__e2eMark") == "kept", "the page was reloaded"


def task_row(page, name: str):
    """The Tree rows of tasks called exactly ``name`` (rows carry no cycle: filter by ID for one)."""
    return page.locator(".tree-view .row.task").filter(
        has=page.locator(".name", has_text=re.compile(rf"^{re.escape(name)}$")))


async def shot(page, name: str) -> None:
    """Save a screenshot of the page as ``SHOTS/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))
