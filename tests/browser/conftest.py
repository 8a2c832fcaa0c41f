"""Real browser tests: Playwright driving Debian's Chromium (never a downloaded browser).

A missing ``chromium`` fails the run, never skips it: ``.ci/run`` installs it
(``apt-get install chromium``). Pages may only reach loopback addresses: every other request
is aborted and reported, so a page that needs the internet (a CDN) fails its test.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from otesaintjo.settings import Settings
from tests.helpers import serving

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
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@dataclass
class Watched:
    """A browser context whose pages may only talk to loopback; what else they tried, and
    every script error, is kept for the test to assert on."""

    context: BrowserContext
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def page(self) -> Page:
        page = await self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        return page


@pytest.fixture
async def watched(browser: Browser) -> AsyncIterator[Watched]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    state = Watched(context)

    async def only_loopback(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            await route.continue_()
        else:
            state.blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_loopback)
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
