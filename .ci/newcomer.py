"""The README's first command, run as a newcomer runs it: a clean clone, a fresh venv with
exactly the extras the command names, no OTESAINTJO_* variable. The server must answer
/healthz and a GraphQL query, serve GraphiQL's assets itself, and stop on SIGTERM with every
process it started (localstripe, the Connect double): a survivor fails CI.

Standard library only (it runs before anything is installed). Usage:
    python3.11 .ci/newcomer.py            # from the repository's root
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 900  # pip install included, on a machine without a pip cache
QUERY = "{ shops(first: 3) { totalCount } platformInfo { payments { offline stripeJsUrl } } }"


def first_command() -> str:
    """The first line of the README's first ```sh block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.+?)\n```", readme, re.DOTALL)
    if block is None:
        sys.exit("newcomer: no ```sh block in README.md")
    command = block.group(1).strip().splitlines()[0]
    if not command.rstrip().endswith("otesaintjo serve"):
        sys.exit(
            f"newcomer: the README's first command should end with 'otesaintjo serve': {command}"
        )
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_members(session_id: int) -> dict[int, str]:
    """Live processes of a session, with their command lines (re-parented ones included)."""
    members = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session_id:
            members[int(entry.name)] = command
    return members


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
        return reply.status, reply.read()


def post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        return json.loads(reply.read())


def main() -> int:
    command = first_command()
    extras = re.findall(r'-e\s+"?\.\[([^\]]*)\]', command)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="otesaintjo-newcomer-"))
    clone = workdir / "otesaintjo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)  # noqa: S603, S607
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    environment.pop("VIRTUAL_ENV", None)
    print(f"newcomer: {command} --port {port}   (extras: {extras or 'none'}, in {clone})")
    log = (workdir / "serve.log").open("wb")
    started = time.monotonic()
    server = subprocess.Popen(  # noqa: S603 - the README's own command
        ["/bin/bash", "-c", f"{command} --port {shlex.quote(str(port))}"],
        cwd=clone,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return check(server, base, started, workdir)
    finally:
        for pid in session_members(server.pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def check(server: subprocess.Popen[bytes], base: str, started: float, workdir: Path) -> int:
    while True:
        if server.poll() is not None:
            print((workdir / "serve.log").read_text(errors="replace")[-4000:])
            print(f"newcomer: FAILED — the command exited with {server.returncode}")
            return 1
        try:
            if get(f"{base}/healthz")[0] == 200:
                break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() - started > START_TIMEOUT_SECONDS:
            print(f"newcomer: FAILED — no answer on /healthz in {START_TIMEOUT_SECONDS} s")
            return 1
        time.sleep(0.5)
    print(f"newcomer: /healthz answered {time.monotonic() - started:.1f} s after the command")
    answer = post_json(f"{base}/graphql", {"query": QUERY})
    shops = answer.get("data", {}).get("shops", {}).get("totalCount", 0)
    if (
        "errors" in answer
        or shops < 12
        or not answer["data"]["platformInfo"]["payments"]["offline"]
    ):
        print(f"newcomer: FAILED — unexpected answer: {answer}")
        return 1
    print(f"newcomer: GraphQL answered: {shops} demo shops, offline payments")
    status, page = get(f"{base}/graphql", {"Accept": "text/html"})
    if status != 200 or b"/assets/vendor/graphiql@" not in page or b"unpkg.com" in page:
        print("newcomer: FAILED — GraphiQL does not load its assets from the API itself")
        return 1
    asset = re.search(rb'src="(/assets/vendor/graphiql@[^"]+)"', page)
    if asset is None or get(base + asset.group(1).decode())[0] != 200:
        print("newcomer: FAILED — GraphiQL's script is not served")
        return 1
    members = session_members(server.pid)
    serve = [pid for pid, cmd in members.items() if "otesaintjo serve" in cmd and "bash" not in cmd]
    print(f"newcomer: {len(members)} processes in the session: {sorted(members.values())}")
    if len(serve) != 1:
        print("newcomer: FAILED — cannot find the 'otesaintjo serve' process")
        return 1
    os.kill(serve[0], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while session_members(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = session_members(server.pid)
    if survivors:
        print(f"newcomer: FAILED — still running after SIGTERM: {survivors}")
        return 1
    print("newcomer: SIGTERM stopped the server and every process it started")
    return 0


if __name__ == "__main__":
    sys.exit(main())
