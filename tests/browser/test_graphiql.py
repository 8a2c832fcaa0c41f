"""GraphiQL works on a machine without internet: every script and style comes from the API."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import Watched

TIMEOUT_MS = 15_000


async def test_graphiql_runs_a_query_with_every_outside_request_blocked(
    live_server, watched: Watched
) -> None:
    page = await watched.page()
    await page.goto(f"http://{live_server}/graphql")
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await expect(editor).to_be_visible(timeout=TIMEOUT_MS)
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text("{ platformInfo { supportEmail payments { offline } } }")
    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".graphiql-response")
    await expect(result).to_contain_text("support@otesaintjo.re", timeout=TIMEOUT_MS)
    await expect(result).to_contain_text('"offline": true')
    # The documentation explorer is built from introspection: the schema loaded too.
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.get_by_role("region", name="Documentation Explorer")
    await docs.get_by_role("link", name="Query", exact=True).click()
    await expect(docs).to_contain_text("Point d'entrée des lectures.")
    assert watched.blocked == []
    assert [e for e in watched.errors if ".map" not in e] == []
