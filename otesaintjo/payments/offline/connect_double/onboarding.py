"""Onboarding, simulated: an account link leads to a page with one button that finishes it.

What a merchant would do on Stripe's hosted pages is reduced to that button; nothing is checked.
"""

from __future__ import annotations

import copy
import html
from urllib.parse import quote

from starlette.responses import HTMLResponse, RedirectResponse, Response

from otesaintjo.payments.offline.connect_double.accounts import AccountHandlers, enable
from otesaintjo.payments.offline.connect_double.wire import Call, JSONDict, now, required_str


class OnboardingHandlers(AccountHandlers):
    """``/v1/account_links`` and the double's own onboarding page."""

    async def create_account_link(self, call: Call) -> JSONDict:
        """POST /v1/account_links: a URL to the double's simulated onboarding page."""
        account_id = required_str(call.params, "account")
        self._account(account_id, param="account")
        required_str(call.params, "type")
        return_url = call.params.get("return_url")
        if isinstance(return_url, str) and return_url:
            self.return_urls[account_id] = return_url
        created = now()
        return {
            "object": "account_link",
            "url": f"{call.base_url}/_double/onboarding/{account_id}",
            "created": created,
            "expires_at": created + 300,
        }

    async def onboarding_page(self, call: Call) -> Response:
        """GET /_double/onboarding/{acct}: the page a merchant would see, one button."""
        account_id = call.path["account_id"]
        self._account(account_id)
        safe = html.escape(account_id)
        action = html.escape(f"/_double/accounts/{quote(account_id, safe='')}/complete")
        page = f"""<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Onboarding simulé — aucun argent réel</title></head>
<body>
<h1>Onboarding simulé — aucun argent réel</h1>
<p>Ceci est un double de test de Stripe Connect, pas Stripe : aucune pièce n’est vérifiée,
aucun virement n’est fait.</p>
<p>Compte : <code>{safe}</code></p>
<form method="post" action="{action}">
<input type="hidden" name="redirect" value="1">
<button type="submit">Terminer l’onboarding simulé</button>
</form>
</body>
</html>
"""
        return HTMLResponse(page)

    async def complete_onboarding(self, call: Call) -> Response | JSONDict:
        """POST /_double/accounts/{acct}/complete: what a finished onboarding does on Stripe.

        From the HTML form (``redirect=1``) it goes back to the last link's ``return_url``.
        """
        account = self._account(call.path["account_id"])
        before = copy.deepcopy(account)
        enable(account)
        if account != before:
            self._account_updated(call, account, before)
        return_url = self.return_urls.get(account["id"])
        if call.params.get("redirect") == "1" and return_url:
            return RedirectResponse(return_url, status_code=303)
        return account
