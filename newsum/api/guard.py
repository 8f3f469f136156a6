"""The HTTP API's front door: caps request bodies and authenticates every request.

It is ASGI middleware rather than a route dependency so that the default is closed: every
path (the OpenAPI schema and docs included) needs credentials except the few named public,
and nothing parses a body before its size is bounded and its sender authenticated. The
one exception is the editors' review page (``/review`` and below), which people reach
with a browser and their own accounts: it is passed on to its own cookie sessions, still
with the body cap.
"""

from __future__ import annotations

from collections.abc import Iterable

from anyio import to_thread
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsum.api.auth import AuthFailed, RequestAuthenticator
from newsum.errors import BrokerUnavailable

MAX_BODY_BYTES = 64 * 1024


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
        max_body_bytes: int = MAX_BODY_BYTES,
        public_paths: Iterable[str] = ("/healthz",),
        session_prefixes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.max_body_bytes = max_body_bytes
        self.public_paths = frozenset(public_paths)
        # A prefix covers itself and what lies below it, never a longer name ("/reviews").
        self.session_prefixes = tuple(p.rstrip("/") for p in session_prefixes)

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
        if not self._passes_without_token(scope["path"]):
            refusal = await self._refusal(scope, headers, body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, _replaying(body, receive), send)

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
        """None when the request is authentic, else the response that refuses it."""
        target = scope.get("raw_path") or scope["path"].encode("utf-8")
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        try:
            # Checking a signature may touch Redis (replay record): keep it off the loop.
            await to_thread.run_sync(
                self.authenticator.verify, scope["method"], target, headers, body
            )
        except AuthFailed as exc:
            return JSONResponse(
                {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        except BrokerUnavailable as exc:
            return JSONResponse({"detail": str(exc)}, status_code=503,
                                headers={"Retry-After": "5"})
        return None

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _reply(
            scope, receive, send, 413, f"request body is over {self.max_body_bytes} bytes"
        )


async def _reply(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    # Close the connection: the rest of an oversized body is never read.
    response = JSONResponse({"detail": detail}, status_code=status,
                            headers={"Connection": "close"})
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
