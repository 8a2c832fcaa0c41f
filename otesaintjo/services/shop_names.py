"""Shop names customers can trust: one normalised form, and no look-alike of another shop.

A name is NFKC-normalised (« ﬁ » is « fi », full-width letters are letters), on one line,
with at least one letter or digit. Its *skeleton* — in the spirit of Unicode TR39: every
character mapped to the Latin letter it can be mistaken for (Cyrillic « С », Greek « ο »,
mathematical « 𝐁 »…), accents, case, spaces and punctuation dropped — must be unique: a
« Воulangerie du Centre » spelt with a Cyrillic « В » is refused when « Boulangerie du
Centre » exists. The look-alike table is the Unicode confusables data, from the maintained
``confusable_homoglyphs`` package.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib import resources

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.services.validation import clean_text

MAX_NAME = 120


@cache
def _latin_lookalikes() -> dict[str, str]:
    """``{character: the ASCII letter or digit it looks like}`` for non-Latin letters."""
    table = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    found: dict[str, str] = {}
    for character, homoglyphs in table.items():
        if len(character) != 1 or unicodedata.category(character)[0] not in "LN":
            continue
        if unicodedata.name(character, "").startswith(("LATIN", "DIGIT")):
            continue
        for glyph in homoglyphs:
            target = glyph["c"]
            if len(target) == 1 and target.isascii() and target.isalnum():
                found[character] = target
                break
    return found


def skeleton(name: str) -> str:
    """What a name looks like, for comparison only (never shown)."""
    lookalikes = _latin_lookalikes()
    letters = []
    for character in unicodedata.normalize("NFKD", name):
        if unicodedata.category(character) == "Mn":
            continue  # accents
        character = lookalikes.get(character, character)
        if character.isalnum():
            letters.append(character)
    return unicodedata.normalize("NFKD", "".join(letters)).casefold()


def clean_shop_name(raw: str, field: list[str]) -> str:
    name = clean_text(unicodedata.normalize("NFKC", raw), field, max_length=MAX_NAME)
    if any(c in name for c in "\n\r\t"):
        raise DomainError(ErrorCode.INVALID_INPUT, "Le nom tient sur une ligne.", field)
    if not any(c.isalnum() for c in name):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Le nom doit contenir des lettres ou des chiffres.", field
        )
    return name


def name_taken(field: list[str]) -> DomainError:
    return DomainError(
        ErrorCode.SHOP_NAME_TAKEN,
        "Une boutique porte déjà ce nom, ou un nom qui s'y confond : choisissez-en un autre.",
        field,
    )
