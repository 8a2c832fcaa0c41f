"""Account rules tested on the services, without GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from otesaintjo.auth import decode_access_token, issue_access_token
from otesaintjo.clock import utcnow
from otesaintjo.errors import DomainError, DomainErrors
from otesaintjo.models import AuthSession, RefreshToken
from otesaintjo.services import accounts
from otesaintjo.services.login_throttle import lock_seconds
from otesaintjo.services.validation import normalize_email, normalize_phone

CLIENT = accounts.ClientInfo(ip_address="192.0.2.1", user_agent="pytest")


def sign_up(email: str = "lea@example.re", **extra) -> accounts.SignUp:
    data = {
        "email": email,
        "password": "un-mot-de-passe-solide",
        "first_name": "Léa",
        "last_name": "Técher",
    }
    data.update(extra)
    return accounts.SignUp(**data)


async def test_register_reports_every_bad_field(session_factory, settings) -> None:
    async with session_factory() as session:
        with pytest.raises(DomainErrors) as refused:
            await accounts.register(
                session, settings, sign_up("x", password="court", first_name=""), CLIENT, utcnow()
            )
    assert [e.field for e in refused.value.errors] == [["email"], ["password"], ["firstName"]]


async def test_refresh_rotates_and_reuse_revokes_the_family(session_factory, settings) -> None:
    async with session_factory() as session, session.begin():
        tokens = await accounts.register(session, settings, sign_up(), CLIENT, utcnow())
    async with session_factory() as session, session.begin():
        rotated = await accounts.refresh(session, settings, tokens.refresh_token, utcnow())
    assert rotated.refresh_token != tokens.refresh_token
    async with session_factory() as session:
        with pytest.raises(DomainError):
            await accounts.refresh(session, settings, tokens.refresh_token, utcnow())
        await session.commit()  # the service asked to keep the revocation
    async with session_factory() as session:
        auth_session = (await session.execute(select(AuthSession))).scalar_one()
        assert auth_session.revoked_reason == "refresh_token_reuse"
        assert len((await session.execute(select(RefreshToken))).scalars().all()) == 2


async def test_refresh_token_expires_after_30_idle_days(session_factory, settings) -> None:
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        async with session_factory() as session, session.begin():
            tokens = await accounts.register(session, settings, sign_up(), CLIENT, utcnow())
        traveller.shift(timedelta(days=29))
        async with session_factory() as session, session.begin():
            tokens = await accounts.refresh(session, settings, tokens.refresh_token, utcnow())
        traveller.shift(timedelta(days=30, seconds=1))
        async with session_factory() as session:
            with pytest.raises(DomainError) as refused:
                await accounts.refresh(session, settings, tokens.refresh_token, utcnow())
    assert refused.value.code == "INVALID_TOKEN"


@pytest.mark.parametrize(
    ("failures", "seconds"), [(1, 0), (4, 0), (5, 2), (6, 4), (9, 32), (14, 900), (1000, 900)]
)
def test_lock_grows_then_caps(failures: int, seconds: int) -> None:
    assert lock_seconds(failures, free=5, cap=900) == seconds


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0692 12 34 56", "+262692123456"),
        ("+262 262 45 00 00", "+262262450000"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, e164: str) -> None:
    assert normalize_phone(raw, ["phone"]) == e164


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "123", "+262 12", "numéro"])
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    # Without a country code a number is read as Réunion's, where 06… does not exist.
    with pytest.raises(DomainError) as refused:
        normalize_phone(raw, ["phone"])
    assert refused.value.code == "INVALID_PHONE"


def test_emails_are_normalised() -> None:
    assert normalize_email("  Lea.Techer@Example.RE ", ["email"]) == "lea.techer@example.re"
    with pytest.raises(DomainError):
        normalize_email("lea@", ["email"])


async def test_unknown_email_costs_one_argon2_check_too(
    session_factory, settings, monkeypatch
) -> None:
    from otesaintjo import security

    async with session_factory() as session, session.begin():
        await accounts.register(session, settings, sign_up(), CLIENT, utcnow())
    calls: list[str] = []
    real_verify = security.PASSWORD_HASH.verify

    def counting_verify(password: str, hashed: str) -> bool:
        calls.append(hashed)
        return real_verify(password, hashed)

    monkeypatch.setattr(security.PASSWORD_HASH, "verify", counting_verify)
    for email in ("lea@example.re", "personne@example.re"):
        async with session_factory() as session:
            with pytest.raises(DomainError) as refused:
                await accounts.login(
                    session, settings, email, "mauvais-mot-de-passe", CLIENT, utcnow()
                )
            assert refused.value.code == "INVALID_CREDENTIALS"
    assert len(calls) == 2
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in calls)


KEY_A, KEY_B = "a" * 32, "b" * 32


def test_an_access_token_checked_once_still_expires_and_keeps_to_its_key() -> None:
    """``decode_access_token`` keeps the claims of tokens it verified: the expiry is still
    checked at each use, and the same token under another key is verified (and refused)."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        token = issue_access_token(KEY_A, user_id=7, session_id=3, minutes=10, now=utcnow())
        assert decode_access_token(KEY_A, token)["sid"] == 3  # type: ignore[index]
        assert decode_access_token(KEY_B, token) is None
        assert decode_access_token(KEY_A, token + "x") is None
        traveller.shift(timedelta(minutes=9, seconds=59))
        assert decode_access_token(KEY_A, token) is not None
        traveller.shift(timedelta(seconds=1))
        assert decode_access_token(KEY_A, token) is None
