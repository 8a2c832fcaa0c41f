"""Connected accounts: created with their identity documents due, paid once nothing is due.

Only the bookkeeping our code reads back: requirements, capabilities, metadata and the
``account.updated`` events; no document is ever looked at.
"""

from __future__ import annotations

import copy

from otesaintjo.payments.offline.connect_double.webhooks import WebhookEvents
from otesaintjo.payments.offline.connect_double.wire import (
    Call,
    JSONDict,
    StripeShapedError,
    missing,
    new_id,
    now,
)

DOCUMENT = "individual.verification.document"
ADDITIONAL_DOCUMENT = "individual.verification.additional_document"
# (key under individual.verification, file purpose Stripe demands, requirement it satisfies)
_DOCUMENTS = (
    ("document", "identity_document", DOCUMENT),
    ("additional_document", "additional_verification", ADDITIONAL_DOCUMENT),
)
# Set by the double only: a client sending them gets Stripe's "unknown parameter" error.
_READ_ONLY_ACCOUNT_FIELDS = frozenset(
    {
        "id",
        "object",
        "created",
        "livemode",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "requirements",
    }
)


def _reject_read_only(params: JSONDict) -> None:
    """Fields the double computes cannot be written, as on Stripe."""
    unknown = sorted(_READ_ONLY_ACCOUNT_FIELDS & params.keys())
    if unknown:
        raise StripeShapedError(
            400,
            f"Received unknown parameter: {unknown[0]}",
            param=unknown[0],
            code="parameter_unknown",
        )


def _merge(target: JSONDict, patch: JSONDict) -> None:
    """Deep merge of an update; ``metadata`` follows Stripe (empty value unsets a key)."""
    for key, value in patch.items():
        if key == "metadata":
            current = target.setdefault("metadata", {})
            if value == "":
                current.clear()
                continue
            for meta_key, meta_value in value.items():
                if meta_value == "":
                    current.pop(meta_key, None)
                else:
                    current[meta_key] = meta_value
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def enable(account: JSONDict) -> None:
    """Nothing left due: the account can be paid, as after a finished Stripe onboarding."""
    account["charges_enabled"] = True
    account["payouts_enabled"] = True
    account["details_submitted"] = True
    account["requirements"].update(
        currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
    )
    account["capabilities"] = {name: "active" for name in account["capabilities"]}


class AccountHandlers(WebhookEvents):
    """``/v1/accounts``."""

    def _satisfied_requirements(self, params: JSONDict) -> list[str]:
        """Check the identity files an update points to; return the requirements they meet.

        Runs before any change, so a bad file id leaves the account untouched.
        """
        individual = params.get("individual")
        verification = individual.get("verification") if isinstance(individual, dict) else None
        if not isinstance(verification, dict):
            return []
        satisfied: list[str] = []
        for key, purpose, requirement in _DOCUMENTS:
            document = verification.get(key)
            if document is None:
                continue
            if not isinstance(document, dict):
                raise StripeShapedError(
                    400, "Invalid hash", param=f"individual[verification][{key}]"
                )
            for side in ("front", "back"):
                file_id = document.get(side)
                if file_id in (None, ""):
                    continue
                param = f"individual[verification][{key}][{side}]"
                upload = self.files.get(file_id) if isinstance(file_id, str) else None
                if upload is None:
                    raise missing("file upload", str(file_id), param=param, status=400)
                if upload["purpose"] != purpose:
                    raise StripeShapedError(
                        400,
                        f"The file {file_id} has purpose {upload['purpose']}; "
                        f"{param} needs a file with purpose {purpose}.",
                        param=param,
                    )
                if side == "front":
                    satisfied.append(requirement)
        return satisfied

    def _apply(self, account: JSONDict, params: JSONDict) -> None:
        """Validate then merge create/update parameters into ``account``."""
        _reject_read_only(params)
        patch = {k: v for k, v in params.items() if k not in ("expand", "capabilities")}
        metadata = patch.get("metadata", "")
        if metadata != "" and not isinstance(metadata, dict):
            raise StripeShapedError(400, "Invalid hash", param="metadata")
        satisfied = self._satisfied_requirements(params)
        capabilities = params.get("capabilities")
        if capabilities is not None and not (
            isinstance(capabilities, dict)
            and all(isinstance(spec, dict) for spec in capabilities.values())
        ):
            raise StripeShapedError(400, "Invalid hash", param="capabilities")
        _merge(account, patch)
        status = "active" if account["payouts_enabled"] else "inactive"
        for name, spec in (capabilities or {}).items():
            if spec.get("requested") in ("false", False):
                account["capabilities"].pop(name, None)
            else:
                account["capabilities"][name] = status
        requirements = account["requirements"]
        for requirement in satisfied:
            for due in ("currently_due", "eventually_due", "past_due"):
                if requirement in requirements[due]:
                    requirements[due].remove(requirement)
        if not requirements["currently_due"] and not account["payouts_enabled"]:
            enable(account)

    async def create_account(self, call: Call) -> JSONDict:
        """POST /v1/accounts: stored as given, with every verification document still due."""
        params = call.params
        account: JSONDict = {
            "id": new_id("acct_"),
            "object": "account",
            "type": "none" if "controller" in params else "custom",
            "livemode": False,
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": {},
            "requirements": {
                "currently_due": [DOCUMENT, ADDITIONAL_DOCUMENT],
                "eventually_due": [DOCUMENT, ADDITIONAL_DOCUMENT],
                "past_due": [],
                "disabled_reason": "requirements.past_due",
            },
            "individual": {
                "verification": {
                    "document": {"front": None},
                    "additional_document": {"front": None},
                }
            },
            "metadata": {},
            "created": now(),
        }
        self._apply(account, params)
        self.accounts[account["id"]] = account
        return account

    async def retrieve_account(self, call: Call) -> JSONDict:
        """GET /v1/accounts/{id}."""
        return self._account(call.path["account_id"])

    async def update_account(self, call: Call) -> JSONDict:
        """POST /v1/accounts/{id}: merge; documents lift their requirements."""
        account = self._account(call.path["account_id"])
        before = copy.deepcopy(account)
        candidate = copy.deepcopy(account)
        self._apply(candidate, call.params)
        if candidate != before:
            account.clear()
            account.update(candidate)
            self._account_updated(call, account, before)
        return account

    def _account_updated(self, call: Call, account: JSONDict, before: JSONDict) -> None:
        """``account.updated`` with Stripe's ``previous_attributes`` (top-level keys)."""
        changed = {k: before.get(k) for k in account if before.get(k) != account.get(k)}
        self.emit(call, "account.updated", account, account=account["id"], previous=changed)
