"""Formatting at the edge: money in French, dates in Réunion time, French email templates."""

from __future__ import annotations

from datetime import UTC, datetime

from otesaintjo.money import format_cents
from otesaintjo.notifications.email import render_email
from otesaintjo.schema.common import Money
from otesaintjo.schema.scalars import _serialize
from otesaintjo.security import read_signed_token, signed_token


def test_money_is_formatted_the_french_way() -> None:
    assert format_cents(1250) == "12,50\xa0€"
    assert format_cents(123456) == "1\u202f234,56\xa0€"
    assert Money(cents=5).formatted() == "0,05\xa0€"


def test_datetimes_are_shown_in_reunion_time() -> None:
    assert _serialize(datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == "2026-11-26T12:00:00+04:00"


def test_templates_render_in_french_with_a_subject() -> None:
    email = render_email(
        "password_reset", "lea@example.re", first_name="Léa", link="https://x/r?token=t", minutes=60
    )
    assert email.subject == "Réinitialisation de votre mot de passe"
    assert email.text.startswith("Bonjour Léa,")
    assert 'href="https://x/r?token=t"' in email.html
    assert '<html lang="fr">' in email.html


def test_html_is_escaped() -> None:
    email = render_email("welcome", "a@b.re", first_name="<script>")
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html


def test_signed_tokens_reject_tampering() -> None:
    token = signed_token("secret", "purpose", "42")
    assert read_signed_token("secret", "purpose", token) == "42"
    assert read_signed_token("secret", "other", token) is None
    assert read_signed_token("other-secret", "purpose", token) is None
    assert read_signed_token("secret", "purpose", "43" + token[2:]) is None
