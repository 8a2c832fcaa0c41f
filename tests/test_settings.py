"""Settings refuse unsafe combinations before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from otesaintjo.settings import Settings


def test_production_refuses_the_default_or_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="OTESAINTJO_SECRET_KEY"):
        Settings(_env_file=None, env="production")
    with pytest.raises(ValidationError, match="OTESAINTJO_SECRET_KEY"):
        Settings(_env_file=None, env="production", secret_key="court")
    ready = {
        "stripe_api_key": "sk_live_x",
        "stripe_publishable_key": "pk_live_x",
        "stripe_webhook_secrets": ["whsec_x"],
        "frontend_url": "https://boutique.example",
        "smtp_url": "smtp://mail.example:587",
        "sms_disabled": True,
    }
    assert Settings(_env_file=None, env="production", secret_key="k" * 40, **ready).is_production


def test_production_needs_the_storefront_address_for_email_links() -> None:
    stripe = {
        "stripe_api_key": "sk_live_x",
        "stripe_publishable_key": "pk_live_x",
        "stripe_webhook_secrets": ["whsec_x"],
        "smtp_url": "smtp://mail.example:587",
        "sms_disabled": True,
    }
    with pytest.raises(ValidationError, match="OTESAINTJO_FRONTEND_URL"):
        Settings(_env_file=None, env="production", secret_key="k" * 40, **stripe)


def test_cors_origins_default_by_environment_and_refuse_wildcards() -> None:
    development = Settings(_env_file=None)
    assert "http://localhost:5173" in development.allowed_origins
    assert "http://127.0.0.1:3000" in development.allowed_origins
    production = Settings(
        _env_file=None,
        env="production",
        secret_key="k" * 40,
        stripe_api_key="sk_live_x",
        stripe_publishable_key="pk_live_x",
        stripe_webhook_secrets=["whsec_x"],
        frontend_url="https://boutique.example",
        smtp_url="smtp://mail.example:587",
        sms_disabled=True,
    )
    assert production.allowed_origins == []  # same origin only, unless listed
    listed = Settings(_env_file=None, cors_origins=["https://Boutique.example/"])
    assert listed.allowed_origins == ["https://boutique.example"]
    for bad in ("*", "https://*.example", "https://boutique.example/app", "boutique.example"):
        with pytest.raises(ValidationError, match="OTESAINTJO_CORS_ORIGINS"):
            Settings(_env_file=None, cors_origins=[bad])


def test_production_needs_stripe() -> None:
    with pytest.raises(ValidationError, match="OTESAINTJO_STRIPE_API_KEY"):
        Settings(_env_file=None, env="production", secret_key="k" * 40)
    with pytest.raises(ValidationError, match="OTESAINTJO_STRIPE_PUBLISHABLE_KEY"):
        Settings(
            _env_file=None,
            env="production",
            secret_key="k" * 40,
            stripe_api_key="sk_live_x",
            stripe_webhook_secrets=["whsec_x"],
        )


def test_several_workers_need_a_shared_bus_and_postgresql() -> None:
    with pytest.raises(ValidationError, match="single worker"):
        Settings(_env_file=None, workers=2)
    with pytest.raises(ValidationError, match="SQLite"):
        Settings(_env_file=None, workers=2, event_bus="redis")
    with pytest.raises(ValidationError, match="needs a PostgreSQL database"):
        Settings(_env_file=None, event_bus="postgres")


def test_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("OTESAINTJO_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/x")
    monkeypatch.setenv("OTESAINTJO_PUBLIC_URL", "https://otesaintjo.re")
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.public_url == "https://otesaintjo.re"
    assert not settings.is_sqlite


def test_production_never_writes_emails_or_sms_to_the_log() -> None:
    """Emails carry sign-in links: production needs SMTP, and an SMS gateway or a decision."""
    ready = {
        "env": "production",
        "secret_key": "k" * 40,
        "stripe_api_key": "sk_live_x",
        "stripe_publishable_key": "pk_live_x",
        "stripe_webhook_secrets": ["whsec_x"],
        "frontend_url": "https://boutique.example",
    }
    with pytest.raises(ValidationError, match="OTESAINTJO_SMTP_URL"):
        Settings(_env_file=None, **ready, sms_disabled=True)
    with pytest.raises(ValidationError, match="OTESAINTJO_SMS_DISABLED"):
        Settings(_env_file=None, **ready, smtp_url="smtp://mail.example:587")
    gateway = {"sms_gateway_url": "https://sms.example/send"}
    assert Settings(_env_file=None, **ready, smtp_url="smtp://m.example:587", **gateway)
