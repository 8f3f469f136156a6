"""The guard's admission limit: work in flight is bounded, and one request too many gets
a quick 503 instead of waiting without end."""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic import SecretStr
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from harness.api import TOKEN, bearer
from newsum.api.auth import MemorySeenSignatures, RequestAuthenticator
from newsum.api.guard import RequestGuard


async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(1.0)
    await PlainTextResponse("done")(scope, receive, send)


def test_past_the_limit_a_request_waits_a_bounded_time_then_gets_503() -> None:
    guard = RequestGuard(
        slow_app, authenticator=RequestAuthenticator(SecretStr(TOKEN), MemorySeenSignatures()),
        max_in_flight=2, admission_timeout_s=0.2,
    )

    async def run() -> list[tuple[int, float]]:
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            async def one() -> tuple[int, float]:
                started = time.monotonic()
                answer = await client.get("/articles/1/summary", headers=bearer())
                return answer.status_code, time.monotonic() - started

            return list(await asyncio.gather(*(one() for _ in range(4))))

    answers = sorted(asyncio.run(run()))
    assert [status for status, _ in answers] == [200, 200, 503, 503]
    assert all(took < 0.6 for status, took in answers if status == 503)
