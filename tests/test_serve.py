"""``otesaintjo serve`` as a newcomer runs it: it answers, and stopping it with SIGTERM (kill,
systemd, containers) or SIGINT (Ctrl+C) leaves no payment double behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from otesaintjo.payments.offline.processes import free_port

SERVE = Path(sys.executable).with_name("otesaintjo")


def session_members(session_id: int) -> set[int]:
    """Every live process of a session (children re-parented to PID 1 keep their session)."""
    members = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session_id:  # state, ppid, pgrp, session
            members.add(int(entry.name))
    return members


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_with_its_payment_doubles(tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    server = subprocess.Popen(
        [str(SERVE), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}/healthz", server)
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": "{ shops(first: 1) { totalCount } platformInfo { payments { offline } } }"
            },
        )
        assert "server" not in response.headers  # no software and version given away
        answer = response.json()
        assert answer["data"]["shops"]["totalCount"] >= 12  # the demo town
        assert answer["data"]["platformInfo"]["payments"]["offline"] is True
        running = session_members(server.pid)
        assert len(running) >= 3, running  # serve, localstripe, the Connect double
        server.send_signal(stop)
        server.wait(30)
        deadline = time.monotonic() + 10
        while session_members(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session_members(server.pid) == set()
    finally:
        for pid in session_members(server.pid):
            os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()


def test_a_refused_configuration_names_the_problem_not_the_secrets(tmp_path: Path) -> None:
    secrets = ["sk_live_do_not_print_me", "whsec_do_not_print_me", "too-short-key"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    environment |= {
        "OTESAINTJO_ENV": "production",
        "OTESAINTJO_STRIPE_API_KEY": secrets[0],
        "OTESAINTJO_STRIPE_WEBHOOK_SECRETS": f'["{secrets[1]}"]',
        "OTESAINTJO_SECRET_KEY": secrets[2],
    }
    refused = subprocess.run(
        [str(SERVE), "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        timeout=60,
    )
    output = (refused.stdout + refused.stderr).decode()
    assert refused.returncode == 2, output
    assert "Configuration refusée" in output
    assert "OTESAINTJO_SECRET_KEY" in output
    assert not [secret for secret in secrets if secret in output]
    assert "Traceback" not in output
