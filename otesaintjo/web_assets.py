"""Browser assets the API serves itself, so its pages work without a CDN (offline machines,
closed networks, browser tests): GraphiQL and its libraries, the graphql-ws client.

The files are vendored from npm under ``web/vendor`` with their licences and SRI hashes
(``web/vendor/MANIFEST.json``, checked by ``web/vendor/verify.py``). strawberry's GraphiQL
page loads the very same files from unpkg with the same ``integrity`` attributes: we serve
its page with those addresses rewritten to ours, so the browser still checks every hash.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

WEB_DIR = Path(__file__).parent / "web"
VENDOR_DIR = WEB_DIR / "vendor"
VENDOR_URL = "/assets/vendor"


@cache
def manifest() -> list[dict[str, str]]:
    return json.loads((VENDOR_DIR / "MANIFEST.json").read_text(encoding="utf-8"))


def vendor_url(package: str) -> str:
    """The served address of a vendored package's file (e.g. ``graphql-ws``)."""
    entry = next(e for e in manifest() if e["package"] == package)
    return f"{VENDOR_URL}/{entry['file']}"


@cache
def offline_graphiql_html() -> str:
    """strawberry's GraphiQL page, every unpkg address replaced by the vendored file."""
    html = get_graphql_ide_html("graphiql")
    for entry in manifest():
        name = entry["file"].rsplit("/", 1)[-1]
        cdn = re.compile(
            r"https://unpkg\.com/"
            + re.escape(f"{entry['package']}@{entry['version']}")
            + r"/[^\"']*"
            + re.escape(name)
        )
        html = cdn.sub(f"{VENDOR_URL}/{entry['file']}", html)
    if "unpkg.com" in html:
        raise RuntimeError("GraphiQL still loads from unpkg: vendor its new files (web/vendor)")
    return html
