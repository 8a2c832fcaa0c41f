"""Where shared test helpers live, read statically (``ast``): a test module imports helpers from
``tests/support/`` or ``tests/doubles/``, never from another ``test_*.py`` module nor from a
``conftest.py`` (those hold fixtures only). Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _is_test_or_conftest(dotted: str) -> bool:
    last = dotted.rpartition(".")[2]
    return last.startswith("test_") or last == "conftest"


def forbidden_imports(source: str, package: str) -> list[str]:
    """The modules a test module (in ``package``) imports that are test modules or conftests."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_test_or_conftest(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if _is_test_or_conftest(base):
                found.append(base)
            else:  # ``from tests.api import test_cart`` imports a module too
                found += [
                    f"{base}.{alias.name}"
                    for alias in node.names
                    if _is_test_or_conftest(alias.name)
                ]
    return found


def test_the_checker_sees_every_kind_of_import_from_a_test_module() -> None:
    # A made-up package, so that grepping the suite for such imports finds none here.
    bad = (
        "from suite.api.test_cart import ADD\n"
        "import suite.api.test_checkout\n"
        "from suite.conftest import TEST_SECRET\n"
        "from suite.browser.conftest import Watched\n"
        "from suite.api import test_returns\n"
        "from .test_pagination import count_statements\n"
        "def later():\n"
        "    from ..test_db import x\n"
    )
    assert forbidden_imports(bad, "suite.api") == [
        "suite.api.test_cart",
        "suite.api.test_checkout",
        "suite.conftest",
        "suite.browser.conftest",
        "suite.api.test_returns",
        "suite.api.test_pagination",
        "suite.test_db",
    ]
    good = (
        "from suite.support.cart import ADD\n"
        "from suite.doubles.smtp import wait_until\n"
        "import pytest\n"
        "from otesaintjo.services import checkout\n"
    )
    assert forbidden_imports(good, "suite.api") == []


def test_test_modules_import_helpers_only_from_support_and_doubles() -> None:
    modules = sorted(TESTS.rglob("test_*.py"))
    assert len(modules) > 20  # the scan really reads the suite
    offences = []
    for path in modules:
        package = ".".join(path.relative_to(ROOT).parent.parts)
        for target in forbidden_imports(path.read_text(encoding="utf-8"), package):
            offences.append(f"{path.relative_to(ROOT)} imports {target}")
    assert offences == [], (
        "move the shared helper into tests/support/ (or tests/doubles/ for a protocol double) "
        "and import it from there:\n" + "\n".join(offences)
    )
