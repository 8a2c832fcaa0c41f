"""Check the vendored browser assets against MANIFEST.json (stdlib only).

Usage:
    python otesaintjo/web/vendor/verify.py               # hashes, licences, unlisted files
    python otesaintjo/web/vendor/verify.py --strawberry  # also compare with the integrity
                                                          # attributes of strawberry's GraphiQL page

Exit status: 0 when everything matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent
MANIFEST = VENDOR_DIR / "MANIFEST.json"
# Files of this directory that are not vendored assets.
OWN_FILES = {"MANIFEST.json", "README.md", "verify.py", "LICENSE"}
UNPKG_TAG = re.compile(
    r'(?:src|href)="https://unpkg\.com/(?P<pkg>(?:@[^/"]+/)?[^@/"]+)@(?P<ver>[^/"]+)/'
    r'(?:[^"]*/)?(?P<name>[^/"]+)"\s+integrity="(?P<sri>sha384-[^"]+)"'
)


def sri_sha384(path: Path) -> str:
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def check_manifest(entries: list[dict[str, str]]) -> list[str]:
    errors: list[str] = []
    listed: set[Path] = set()
    for entry in entries:
        path = VENDOR_DIR / entry["file"]
        listed.add(path)
        if not path.is_file():
            errors.append(f"missing file: {entry['file']}")
            continue
        actual = sri_sha384(path)
        if actual != entry["integrity"]:
            errors.append(f"hash mismatch: {entry['file']}: {actual} != {entry['integrity']}")
        else:
            print(f"ok  {entry['file']}  {actual}")
        if not (path.parent / "LICENSE").is_file():
            errors.append(f"missing LICENSE next to {entry['file']}")
    for path in sorted(VENDOR_DIR.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.name in OWN_FILES:
            continue
        if path not in listed:
            errors.append(f"not in MANIFEST.json: {path.relative_to(VENDOR_DIR)}")
    return errors


def check_strawberry(entries: list[dict[str, str]]) -> list[str]:
    spec = importlib.util.find_spec("strawberry")
    if spec is None or spec.origin is None:
        return ["--strawberry: the strawberry package is not importable here"]
    page = Path(spec.origin).parent / "static" / "graphiql.html"
    by_key = {(e["package"], e["version"], Path(e["file"]).name): e for e in entries}
    errors: list[str] = []
    tags = list(UNPKG_TAG.finditer(page.read_text(encoding="utf-8")))
    if not tags:
        errors.append(f"--strawberry: no unpkg.com tag with integrity found in {page}")
    for tag in tags:
        key = (tag["pkg"], tag["ver"], tag["name"])
        entry = by_key.get(key)
        if entry is None:
            errors.append(f"strawberry loads {'@'.join(key[:2])}/{key[2]}, not vendored")
        elif entry["integrity"] != tag["sri"]:
            errors.append(f"strawberry integrity differs for {entry['file']}: {tag['sri']}")
        else:
            print(f"ok  {entry['file']} matches {page.name}")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the vendored assets against MANIFEST.json.")
    parser.add_argument(
        "--strawberry",
        action="store_true",
        help="also compare with the integrity attributes of strawberry's static/graphiql.html",
    )
    args = parser.parse_args(argv)
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
    errors = check_manifest(entries)
    if args.strawberry:
        errors += check_strawberry(entries)
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    print(f"{len(entries)} files checked, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
