"""Real browser tests: Playwright driving Debian's Chromium (never a downloaded browser).

A missing ``chromium`` fails the run, never skips it: ``.ci/run`` installs it
(``apt-get install chromium``). Pages may only reach loopback addresses: every other request
is aborted and reported, so a page that needs the internet (a CDN) fails its test.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from otesaintjo.settings import Settings
from tests.support.browser import Watched
from tests.support.graphql import serving

PAGES = Path(__file__).parent / "storefront"
# The flags the machine's notes give for Chromium as root on a closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def watched(browser: Browser) -> AsyncIterator[Watched]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    state = Watched(context)
    await context.route("**/*", state.only_loopback)
    yield state
    await context.close()


@pytest.fixture
async def storefront_origin() -> AsyncIterator[str]:
    """The test storefront's static files, on their own port: another origin than the API."""
    app = Starlette(routes=[Mount("/", StaticFiles(directory=PAGES, html=True))])
    async with serving(app) as host:
        yield f"http://{host}"


@pytest.fixture
def settings(settings: Settings, storefront_origin: str) -> Settings:
    """The API allows the storefront's origin, as OTESAINTJO_CORS_ORIGINS would."""
    return settings.model_copy(update={"cors_origins": [storefront_origin]})
