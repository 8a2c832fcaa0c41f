"""The admission gate (admission.py): requests served ``limit`` at a time in arrival order,
slots lent while a request waits outside, never leaked by a request that goes away."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from otesaintjo.admission import Admission, AdmissionGate, in_thread, outside_admission


async def test_a_full_gate_serves_waiters_in_arrival_order() -> None:
    gate = AdmissionGate(1)
    served: list[int] = []
    await gate.enter()  # the one slot is taken

    async def request(number: int) -> None:
        await gate.enter()
        served.append(number)
        gate.leave()

    waiters = []
    for number in range(5):
        waiters.append(asyncio.create_task(request(number)))
        await asyncio.sleep(0)  # each gets in line before the next arrives
    assert gate.waiting == 5 and served == []
    gate.leave()
    await asyncio.gather(*waiters)
    assert served == [0, 1, 2, 3, 4]
    assert gate.free == 1 and gate.waiting == 0 and gate.waited == 5


async def test_a_waiter_that_goes_away_leaks_no_slot() -> None:
    gate = AdmissionGate(1)
    await gate.enter()
    gone = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    gate.leave()
    assert gate.free == 1  # the cancelled turn was skipped, the slot came back
    # Handed the slot and cancelled before it could run: the slot is passed on.
    await gate.enter()
    handed = asyncio.create_task(gate.enter())
    after = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # hands the slot to `handed`…
    handed.cancel()  # …which goes away before running
    with pytest.raises(asyncio.CancelledError):
        await handed
    await asyncio.wait_for(after, 1)  # `after` got it
    gate.leave()
    assert gate.free == 1


async def test_coming_back_from_outside_never_waits_and_never_grows_the_gate() -> None:
    gate = AdmissionGate(1)
    await gate.enter()
    gate.leave()  # lent (outside_admission)…
    await gate.enter()  # …to another request
    gate.take_back()  # back at once, over the limit
    assert gate.free == -1
    waiting = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # the first to finish brings the gate back to its limit…
    await asyncio.sleep(0)
    assert not waiting.done()  # …and hands nothing on
    gate.leave()
    await asyncio.wait_for(waiting, 1)
    gate.leave()
    assert gate.free == 1


def gated_app(gate: AdmissionGate, events: dict[str, asyncio.Event], log: list[str]) -> Admission:
    async def hold(request: Request) -> PlainTextResponse:
        name = request.path_params["name"]
        log.append(f"start {name}")
        await events[name].wait()
        return PlainTextResponse(name)

    async def lend(request: Request) -> PlainTextResponse:
        name = request.path_params["name"]
        log.append(f"start {name}")
        async with outside_admission():
            await events[name].wait()  # another party's time: the slot serves others
        log.append(f"back {name}")
        return PlainTextResponse(name)

    async def hashed(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(await in_thread(str.upper, "argon2"))

    async def healthz(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[
            Route("/hold/{name}", hold),
            Route("/lend/{name}", lend),
            Route("/hash", hashed),
            Route("/healthz", healthz),
        ]
    )
    return Admission(app, gate=gate, exempt=("/healthz",))


async def test_through_asgi_requests_wait_lend_and_probes_pass() -> None:
    gate = AdmissionGate(1)
    events = {name: asyncio.Event() for name in ("a", "b", "c")}
    log: list[str] = []
    transport = httpx.ASGITransport(app=gated_app(gate, events, log))
    async with httpx.AsyncClient(transport=transport, base_url="http://gate") as http:
        a = asyncio.create_task(http.get("/lend/a"))
        await asyncio.sleep(0.05)
        b = asyncio.create_task(http.get("/hold/b"))  # a lends its slot: b starts
        await asyncio.sleep(0.05)
        c = asyncio.create_task(http.get("/hold/c"))  # b holds the slot: c waits
        await asyncio.sleep(0.05)
        assert log == ["start a", "start b"] and gate.waiting == 1
        assert (await http.get("/healthz")).text == "ok"  # a probe never waits
        events["a"].set()  # a comes back at once, over the limit
        assert (await a).text == "a"
        assert log == ["start a", "start b", "back a"] and gate.waiting == 1
        events["b"].set()
        events["c"].set()
        assert [(await b).text, (await c).text] == ["b", "c"]
        assert log[-1] == "start c"
        assert (await http.get("/hash")).text == "ARGON2"
    assert gate.free == 1 and gate.waiting == 0 and gate.waited == 1
