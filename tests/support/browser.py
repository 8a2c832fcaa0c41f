"""A watched browser context for the Playwright tests: pages may only reach loopback."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Page, Route

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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

    async def only_loopback(self, route: Route) -> None:
        """The route handler: loopback, data: and blob: go through, anything else is aborted."""
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort()
