"""Every link a message carries, built in one place.

Customer links go to the storefront (``OTESAINTJO_FRONTEND_URL``), which must serve these
paths (listed in the README); merchant links go to the pages the API serves itself under
``/commercant``. No message may carry a link that 404s.
"""

from __future__ import annotations

from urllib.parse import quote

from otesaintjo.models import Order
from otesaintjo.settings import Settings

# The storefront's pages reached from emails (its router must have them).
PASSWORD_RESET_PATH = "/reinitialiser-mot-de-passe"
NEWSLETTER_CONFIRM_PATH = "/lettre/confirmer"
NEWSLETTER_UNSUBSCRIBE_PATH = "/lettre/desinscrire"
CUSTOMER_ORDER_PATH = "/compte/commandes/"
# The merchants' pages served by the API (otesaintjo/web/merchant).
MERCHANT_HOME_PATH = "/commercant"
MERCHANT_ORDER_PATH = "/commercant/commandes/"


def _api(settings: Settings, path: str) -> str:
    return settings.public_url.rstrip("/") + path


def _storefront(settings: Settings, path: str) -> str:
    return settings.storefront_url + path


def merchant_order_url(settings: Settings, order: Order) -> str:
    return _api(settings, MERCHANT_ORDER_PATH + quote(order.number))


def merchant_home_url(settings: Settings) -> str:
    return _api(settings, MERCHANT_HOME_PATH)


def customer_order_url(settings: Settings, order: Order) -> str:
    return _storefront(settings, CUSTOMER_ORDER_PATH + quote(order.number))


def password_reset_url(settings: Settings, token: str) -> str:
    return _storefront(settings, f"{PASSWORD_RESET_PATH}?token={token}")


def newsletter_confirm_url(settings: Settings, token: str) -> str:
    return _storefront(settings, f"{NEWSLETTER_CONFIRM_PATH}?token={token}")


def newsletter_unsubscribe_url(settings: Settings, token: str) -> str:
    return _storefront(settings, f"{NEWSLETTER_UNSUBSCRIBE_PATH}?token={token}")
