"""Accounts: sign-up, sign-in with rotating refresh tokens, profile, password reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo import auth
from otesaintjo.db import keep_on_refusal, unit_of_work
from otesaintjo.errors import DomainError, ErrorCode, FieldChecks
from otesaintjo.models import AuthSession, PasswordResetToken, RefreshToken, User
from otesaintjo.security import hash_password, new_token, token_digest, verify_password
from otesaintjo.services import cart, links, login_throttle, newsletter, pages
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.services.validation import (
    check_password,
    clean_text,
    normalize_email,
    normalize_phone,
)
from otesaintjo.settings import Settings
from otesaintjo.sorting import SortKey

NAME_MAX = 100
PASSWORD_RESET_JOB = "accounts.password_reset"


@dataclass(frozen=True, slots=True)
class SignUp:
    email: str
    password: str
    first_name: str
    last_name: str
    phone: str | None = None
    newsletter: bool = False


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a sign-in comes from: for throttling and the user's list of sessions."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Tokens:
    user: User
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str


async def register(
    session: AsyncSession,
    settings: Settings,
    data: SignUp,
    client: ClientInfo,
    now: datetime,
    cart_token: str | None = None,
) -> Tokens:
    """Create a customer account and sign it in; the visitor's anonymous cart becomes the
    new customer's ("create your account at checkout" keeps the basket)."""
    checks = FieldChecks()
    email = checks.check(normalize_email, data.email, ["email"]) or ""
    checks.check(check_password, data.password, ["password"])
    first_name = checks.check(clean_text, data.first_name, ["firstName"], max_length=NAME_MAX)
    last_name = checks.check(clean_text, data.last_name, ["lastName"], max_length=NAME_MAX)
    phone = checks.check(normalize_phone, data.phone, ["phone"]) if data.phone else None
    checks.raise_if_any()
    assert first_name is not None and last_name is not None
    if await _user_by_email(session, email) is not None:
        raise DomainError(
            ErrorCode.EMAIL_TAKEN, "Un compte existe déjà avec cette adresse.", ["email"]
        )
    user = User(
        email=email,
        password_hash=await hash_password(data.password),
        first_name=first_name,
        last_name=last_name,
        phone=phone,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same address won the race
        raise DomainError(
            ErrorCode.EMAIL_TAKEN, "Un compte existe déjà avec cette adresse.", ["email"]
        ) from exc
    if data.newsletter:
        await newsletter.subscribe(session, settings, email)
    queue_email(session, "welcome", user.email, first_name=user.first_name)
    if cart_token:
        await cart.merge_into_user_cart(session, user, cart_token, now)
    return await _open_session(session, settings, user, client, now)


async def login(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    client: ClientInfo,
    now: datetime,
    cart_token: str | None = None,
) -> Tokens:
    """Check the password (same answer and cost whether or not the account exists); the
    anonymous cart of ``cart_token`` joins the customer's cart.

    Failures are counted three ways, each with its own free attempts then a growing wait:
    per account *and* address (the guessing: 5), per address (one machine trying many
    accounts: 20), and per account from anywhere (a distributed guess: 100). A stranger's
    failures from elsewhere therefore never lock the owner out before 100."""
    address = email.strip().lower()[:254]
    ip = client.ip_address or "unknown"
    counted = {
        f"pair:{address}|{ip}": settings.login_free_failures_per_account,
        f"ip:{ip}": settings.login_free_failures_per_ip,
        f"account:{address}": settings.login_free_failures_account_wide,
    }
    await login_throttle.ensure_not_locked(session, list(counted), now)
    user = await _user_by_email(session, address) if len(email) <= 254 else None
    if not await verify_password(password[:1024], user.password_hash if user else None):
        keep_on_refusal(session)
        for key, free in counted.items():
            await login_throttle.record_failure(
                session, key, free, settings.login_max_lock_seconds, now
            )
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "E-mail ou mot de passe incorrect.")
    assert user is not None
    await login_throttle.forget(session, f"pair:{address}|{ip}")
    if cart_token:
        await cart.merge_into_user_cart(session, user, cart_token, now)
    return await _open_session(session, settings, user, client, now)


async def refresh(
    session: AsyncSession, settings: Settings, refresh_token: str, now: datetime
) -> Tokens:
    """Rotate a refresh token. Presenting an already rotated one revokes its whole family."""
    row = (
        await session.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .where(RefreshToken.token_hash == token_digest(refresh_token))
        )
    ).one_or_none()
    invalid = DomainError(
        ErrorCode.INVALID_TOKEN, "Session expirée : reconnectez-vous.", ["refreshToken"]
    )
    if row is None:
        raise invalid
    token, auth_session, user = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise invalid
    claimed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # A rotated token came back: someone holds a copy. Kill the family. The revocation must
        # be committed even though we refuse, so the resolver commits userErrors too.
        keep_on_refusal(session)
        await _revoke_sessions(session, [auth_session.id], "refresh_token_reuse", now)
        raise invalid
    auth_session.last_used_at = now
    auth_session.expires_at = now + timedelta(days=settings.refresh_token_days)
    return await _issue_tokens(session, settings, user, auth_session, now)


async def logout(
    session: AsyncSession, user: User, session_id: int, everywhere: bool, now: datetime
) -> int:
    """Revoke this sign-in (or all of the user's); returns how many sessions were closed."""
    if everywhere:
        return await revoke_all_sessions(session, user.id, "logout_everywhere", now)  # type: ignore[arg-type]
    return await _revoke_sessions(session, [session_id], "logout", now)


async def revoke_all_sessions(
    session: AsyncSession, user_id: int, reason: str, now: datetime
) -> int:
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def update_profile(
    session: AsyncSession,
    user: User,
    now: datetime,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
) -> User:
    """Change the names and phone; an empty phone removes it."""
    checks = FieldChecks()
    values: dict[str, str | None] = {}
    if first_name is not None:
        values["first_name"] = checks.check(
            clean_text, first_name, ["firstName"], max_length=NAME_MAX
        )
    if last_name is not None:
        values["last_name"] = checks.check(clean_text, last_name, ["lastName"], max_length=NAME_MAX)
    if phone is not None:
        values["phone"] = checks.check(normalize_phone, phone, ["phone"]) if phone.strip() else None
    checks.raise_if_any()
    user = await session.merge(user)
    for field, value in values.items():
        setattr(user, field, value)
    user.updated_at = now
    return user


async def request_password_reset(session: AsyncSession, email: str) -> None:
    """Hand the request to the outbox and answer at once: the same answer, in the same time,
    whether or not the account exists (the lookup happens in the job)."""
    try:
        address = normalize_email(email, ["email"])
    except DomainError:
        return
    enqueue(session, PASSWORD_RESET_JOB, {"email": address})


async def send_password_reset(
    factory: async_sessionmaker[AsyncSession], settings: Settings, email: str, now: datetime
) -> None:
    """The job: email a single-use link if the account exists; nothing otherwise."""
    async with unit_of_work(factory) as session:
        await _send_password_reset(session, settings, email, now)


async def _send_password_reset(
    session: AsyncSession, settings: Settings, address: str, now: datetime
) -> None:
    user = await _user_by_email(session, address)
    if user is None:
        return
    await session.execute(  # a newer request voids the older links
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    token = new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,  # type: ignore[arg-type]
            token_hash=token_digest(token),
            expires_at=now + timedelta(minutes=settings.password_reset_minutes),
        )
    )
    queue_email(
        session,
        "password_reset",
        user.email,
        first_name=user.first_name,
        link=links.password_reset_url(settings, token),
        minutes=settings.password_reset_minutes,
    )


async def reset_password(
    session: AsyncSession, settings: Settings, token: str, new_password: str, now: datetime
) -> User:
    """Set a new password from a reset link; every session of the user ends (no auto-login)."""
    check_password(new_password, ["newPassword"])
    row = (
        await session.execute(
            select(PasswordResetToken, User)
            .join(User, User.id == PasswordResetToken.user_id)
            .where(PasswordResetToken.token_hash == token_digest(token))
        )
    ).one_or_none()
    if row is None or row[0].used_at is not None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Lien invalide ou déjà utilisé.", ["token"])
    reset, user = row
    if reset.expires_at <= now:
        raise DomainError(
            ErrorCode.EXPIRED_TOKEN, "Ce lien a expiré : demandez-en un nouveau.", ["token"]
        )
    claimed = await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == reset.id, PasswordResetToken.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.INVALID_TOKEN, "Lien invalide ou déjà utilisé.", ["token"])
    user.password_hash = await hash_password(new_password)
    user.updated_at = now
    await revoke_all_sessions(session, user.id, "password_reset", now)  # type: ignore[arg-type]
    await login_throttle.forget(session, f"account:{user.email}")
    queue_email(
        session,
        "password_changed",
        user.email,
        first_name=user.first_name,
        support_email=settings.support_email,
    )
    return user


async def sessions_page(
    factory: pages.Factory, user_id: int, now: datetime, *, limit: int, after: str | None
) -> pages.Page:
    """Active sign-ins of a user, newest first (``viewer.sessions``)."""
    query = select(AuthSession).where(
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        AuthSession.expires_at > now,
    )
    keys = [SortKey(AuthSession.created_at, True), SortKey(AuthSession.id, True)]
    return await pages.keyset_page(factory, query, keys, limit=limit, after=after)


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def _open_session(
    session: AsyncSession, settings: Settings, user: User, client: ClientInfo, now: datetime
) -> Tokens:
    auth_session = AuthSession(
        user_id=user.id,  # type: ignore[arg-type]
        expires_at=now + timedelta(days=settings.refresh_token_days),
        ip_address=(client.ip_address or None) and client.ip_address[:45],
        user_agent=(client.user_agent or None) and client.user_agent[:200],
    )
    session.add(auth_session)
    await session.flush()
    return await _issue_tokens(session, settings, user, auth_session, now)


async def _issue_tokens(
    session: AsyncSession, settings: Settings, user: User, auth_session: AuthSession, now: datetime
) -> Tokens:
    refresh_token = new_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=token_digest(refresh_token)))  # type: ignore[arg-type]
    access = auth.issue_access_token(
        settings.secret_key,
        user.id,  # type: ignore[arg-type]
        auth_session.id,  # type: ignore[arg-type]
        settings.access_token_minutes,
        now,
    )
    return Tokens(
        user=user,
        access_token=access,
        access_token_expires_at=now + timedelta(minutes=settings.access_token_minutes),
        refresh_token=refresh_token,
    )


async def _revoke_sessions(
    session: AsyncSession, ids: list[int], reason: str, now: datetime
) -> int:
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.id.in_(ids), AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
