"""The HTTP API's front door: caps request bodies, bounds the work in flight, and asks
each path for the one credential that may use it.

It is ASGI middleware rather than a route dependency so that the default is closed: every
path (the OpenAPI schema and docs included) needs the CMS's credential except those
named otherwise, and nothing parses a body before its size is bounded and its sender
authenticated. Which credential a path takes:

- ``/healthz``: none;
- ``/metrics``: the read-only metrics token (and no other credential);
- the editors' review (``/review`` and below): passed on to the review, which takes
  editors' own sessions and tokens, still with the body cap;
- everything else: the CMS's bearer token or HMAC signature.

At most ``max_in_flight`` requests are worked on at once; one more waits up to
``admission_timeout_s`` for a turn, then answers 503, so that a stall (a Redis or a
database that does not answer) turns into quick 503s instead of a queue that grows
without bound.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterable

from anyio import to_thread
from pydantic import SecretStr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsum.api.auth import AuthFailed, RequestAuthenticator
from newsum.errors import BrokerUnavailable

MAX_BODY_BYTES = 64 * 1024
METRICS_PATH = "/metrics"


class MetricsAuthenticator:
    """Checks the read-only metrics token; without one configured, /metrics is off."""

    def __init__(self, token: SecretStr | None) -> None:
        secret = token.get_secret_value() if token is not None else ""
        self._key = secret.encode("utf-8") if secret else None

    def verify(self, headers: dict[str, str]) -> None:
        """Return when the request carries the metrics token; raise AuthFailed otherwise."""
        if self._key is None:
            raise AuthFailed("metrics are off: set NEWSUM_METRICS_TOKEN (a read-only token)")
        scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credentials.strip().encode("utf-8", "replace"), self._key
        ):
            raise AuthFailed("/metrics takes the metrics token (NEWSUM_METRICS_TOKEN) only")


class _BodyTooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


class RequestGuard:
    """ASGI middleware: 413 for big bodies, 401 for bad credentials, then the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: RequestAuthenticator,
        metrics: MetricsAuthenticator | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        public_paths: Iterable[str] = ("/healthz",),
        session_prefixes: Iterable[str] = (),
        max_in_flight: int = 64,
        admission_timeout_s: float = 1.0,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.metrics = metrics or MetricsAuthenticator(None)
        self.max_body_bytes = max_body_bytes
        self.public_paths = frozenset(public_paths)
        # A prefix covers itself and what lies below it, never a longer name ("/reviews").
        self.session_prefixes = tuple(p.rstrip("/") for p in session_prefixes)
        self.max_in_flight = max_in_flight
        self.admission_timeout_s = admission_timeout_s
        self._turns: asyncio.Semaphore | None = None  # made on the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in reversed(scope.get("headers", []))  # first occurrence wins
        }
        declared = headers.get("content-length", "0").strip() or "0"
        if not declared.isdigit():
            await _reply(scope, receive, send, 400, "invalid Content-Length header")
            return
        if int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        try:
            body = await self._read_body(receive)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        except _ClientGone:
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.max_in_flight)
        try:
            await asyncio.wait_for(self._turns.acquire(), self.admission_timeout_s)
        except TimeoutError:
            await _reply(scope, receive, send, 503, "the API is busy; retry later",
                         retry_after=True, close=False)
            return
        try:
            refusal = await self._refusal(scope, headers, body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, _replaying(body, receive), send)
        finally:
            self._turns.release()

    def _passes_without_token(self, path: str) -> bool:
        """Public paths, and the paths whose app authenticates people by session."""
        if path in self.public_paths:
            return True
        return any(path == prefix or path.startswith(prefix + "/")
                   for prefix in self.session_prefixes)

    async def _read_body(self, receive: Receive) -> bytes:
        """The whole body; _BodyTooLarge once it passes the cap, _ClientGone on disconnect."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refusal(
        self, scope: Scope, headers: dict[str, str], body: bytes
    ) -> JSONResponse | None:
        """None when the request carries its path's credential, else the refusal."""
        path = scope["path"]
        if self._passes_without_token(path):
            return None
        if path == METRICS_PATH:
            try:
                self.metrics.verify(headers)
            except AuthFailed as exc:
                return _unauthorized(exc)
            return None
        target = scope.get("raw_path") or path.encode("utf-8")
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        try:
            # Checking a signature may touch Redis (replay record): keep it off the loop.
            await to_thread.run_sync(
                self.authenticator.verify, scope["method"], target, headers, body
            )
        except AuthFailed as exc:
            return _unauthorized(exc)
        except BrokerUnavailable as exc:
            return JSONResponse({"detail": str(exc)}, status_code=503,
                                headers={"Retry-After": "5"})
        return None

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _reply(
            scope, receive, send, 413, f"request body is over {self.max_body_bytes} bytes"
        )


def _unauthorized(exc: AuthFailed) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=401,
                        headers={"WWW-Authenticate": "Bearer"})


async def _reply(scope: Scope, receive: Receive, send: Send, status: int, detail: str,
                 retry_after: bool = False, close: bool = True) -> None:
    # Close the connection (by default): the rest of an oversized body is never read.
    headers = {"Connection": "close"} if close else {}
    if retry_after:
        headers["Retry-After"] = "5"
    response = JSONResponse({"detail": detail}, status_code=status, headers=headers)
    await response(scope, receive, send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands the buffered body to the app, then the real stream."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
