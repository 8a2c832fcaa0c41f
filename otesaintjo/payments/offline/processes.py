"""Start and stop the offline payment servers as child processes on loopback ports.

localstripe (GPL) runs through its own command, never imported. Two of its limits we live
with: it listens on every interface (``::``; it has no host option — it holds fake data only),
and it pickles its store to ``/tmp/localstripe.pickle`` on every write whatever ``TMPDIR``
says; ``--from-scratch`` makes each instance ignore that file at start, so concurrent
instances do not see each other's data. The Connect double is our own module, loopback only.
"""

from __future__ import annotations

import contextlib
import ctypes
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

OFFLINE_API_KEY = "sk_test_offline_no_real_money"
OFFLINE_PUBLISHABLE_KEY = "pk_test_offline_no_real_money"  # what pages pay with (stripe_js.py)
PAYMENT_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed"]
CONNECT_EVENTS = ["account.updated"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _localstripe_command() -> str:
    beside = Path(sys.executable).parent / "localstripe"
    found = str(beside) if beside.exists() else shutil.which("localstripe")
    if not found:
        raise RuntimeError(
            "localstripe is not installed: pip install -e '.[offline]' (or set"
            " OTESAINTJO_STRIPE_API_KEY to use Stripe's test mode)"
        )
    return found


def _die_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM when its parent dies, even by
    ``kill -9``, so no payment double outlives the server that started it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} before it was ready")
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(url, headers={"Authorization": f"Bearer {OFFLINE_API_KEY}"})
            if response.status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@dataclass
class OfflineStripe:
    """localstripe for PaymentIntents and refunds, the Connect double for the rest."""

    api_base: str
    connect_base: str
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(16))
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(cls) -> OfflineStripe:
        stripe_port, double_port = free_port(), free_port()
        quiet = {
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
            "preexec_fn": _die_with_parent,
        }
        localstripe = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            [_localstripe_command(), "--port", str(stripe_port), "--from-scratch"],
            **quiet,  # type: ignore[call-overload]
        )
        api_base = f"http://127.0.0.1:{stripe_port}"
        double = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "otesaintjo.payments.offline.connect_double",
                "--port",
                str(double_port),
                "--localstripe",
                api_base,
                "--api-key",
                OFFLINE_API_KEY,
                "--publishable-key",
                OFFLINE_PUBLISHABLE_KEY,
            ],
            **quiet,  # type: ignore[call-overload]
        )
        offline = cls(api_base, f"http://127.0.0.1:{double_port}")
        offline._processes = [localstripe, double]
        try:
            _wait_ready(f"{api_base}/v1/customers", localstripe)
            _wait_ready(f"{offline.connect_base}/v1/transfers", double)
        except Exception:
            offline.stop()
            raise
        return offline

    def register_webhook(self, url: str, name: str = "otesaintjo") -> None:
        """Have both servers sign and send their events to ``url`` (our /webhooks/stripe)."""
        for base, events in ((self.api_base, PAYMENT_EVENTS), (self.connect_base, CONNECT_EVENTS)):
            httpx.post(
                f"{base}/_config/webhooks/{name}",
                json={"url": url, "secret": self.webhook_secret, "events": events},
                headers={"Authorization": f"Bearer {OFFLINE_API_KEY}"},
            ).raise_for_status()

    def forget_payments(self) -> None:
        """Empty localstripe's store (its webhook registrations stay)."""
        httpx.delete(
            f"{self.api_base}/_config/data", headers={"Authorization": f"Bearer {OFFLINE_API_KEY}"}
        ).raise_for_status()

    @property
    def stripe_js_url(self) -> str:
        """Stripe.js, offline: served by the Connect double (``stripe_js.py``)."""
        return f"{self.connect_base}/js.stripe.com/v3/"

    def environment(self) -> dict[str, str]:
        """The settings that point the app at these servers."""
        return {
            "OTESAINTJO_STRIPE_API_KEY": OFFLINE_API_KEY,
            "OTESAINTJO_STRIPE_PUBLISHABLE_KEY": OFFLINE_PUBLISHABLE_KEY,
            "OTESAINTJO_STRIPE_JS_URL": self.stripe_js_url,
            "OTESAINTJO_STRIPE_API_BASE": self.api_base,
            "OTESAINTJO_STRIPE_CONNECT_API_BASE": self.connect_base,
            "OTESAINTJO_STRIPE_WEBHOOK_SECRETS": f'["{self.webhook_secret}"]',
            "OTESAINTJO_STRIPE_OFFLINE": "true",
        }

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
        self._processes = []
